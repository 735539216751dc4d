/**
 * `npm run bench`: performance figures. Each feature adds its measurements to
 * server/bench/; until then there is nothing to measure.
 */
console.log('nothing to measure yet');
