/**
 * Geodesic distances on the WGS84 ellipsoid, fast enough to run millions of
 * times per evaluation.
 *
 * Every point is converted once to Earth-centred (ECEF) coordinates. The straight
 * 3D chord between two points on the ellipsoid orders neighbours exactly like the
 * geodesic does (up to sub-millimetre ties at 100 km), so nearest-neighbour
 * search runs on plain Euclidean chords (kdtree.ts), and the geodesic length is
 * recovered from the chord by the arc series s = c + c³/24R² + 3c⁵/640R⁴, with R
 * the ellipsoid's radius of curvature in the direction of travel. Beyond
 * SERIES_LIMIT_M the exact Vincenty inverse is used instead. Both agree with
 * PostGIS `ST_Distance(geography)` (GeographicLib) to well under a millimetre
 * per kilometre (test/access-geodesic.test.ts).
 */

export const WGS84_A = 6_378_137;
export const WGS84_F = 1 / 298.257223563;
export const WGS84_B = WGS84_A * (1 - WGS84_F);
const E2 = WGS84_F * (2 - WGS84_F);
const DEG = Math.PI / 180;

/** Above this chord length the arc series is replaced by the exact Vincenty inverse. */
export const SERIES_LIMIT_M = 200_000;

/**
 * Points in ECEF metres plus what the distance formula needs per point, in flat
 * typed arrays (x, y, z interleaved) so that millions of pairs stay cache-friendly.
 */
export interface EcefPoints {
  readonly count: number;
  /** x0, y0, z0, x1, y1, z1 … metres */
  readonly xyz: Float64Array;
  /** sin² of geodetic latitude, per point */
  readonly sin2Lat: Float64Array;
  /** Local east and north unit vectors per point: ex, ey, nx, ny, nz (east has no z). */
  readonly basis: Float64Array;
  readonly lon: Float64Array;
  readonly lat: Float64Array;
}

export function toEcef(lon: Float64Array, lat: Float64Array): EcefPoints {
  const count = lon.length;
  const xyz = new Float64Array(count * 3);
  const sin2Lat = new Float64Array(count);
  const basis = new Float64Array(count * 5);
  for (let i = 0; i < count; i++) {
    const phi = lat[i]! * DEG;
    const lambda = lon[i]! * DEG;
    const sinPhi = Math.sin(phi);
    const cosPhi = Math.cos(phi);
    const n = WGS84_A / Math.sqrt(1 - E2 * sinPhi * sinPhi);
    xyz[i * 3] = n * cosPhi * Math.cos(lambda);
    xyz[i * 3 + 1] = n * cosPhi * Math.sin(lambda);
    xyz[i * 3 + 2] = n * (1 - E2) * sinPhi;
    sin2Lat[i] = sinPhi * sinPhi;
    const sinL = Math.sin(lambda);
    const cosL = Math.cos(lambda);
    basis[i * 5] = -sinL;
    basis[i * 5 + 1] = cosL;
    basis[i * 5 + 2] = -sinPhi * cosL;
    basis[i * 5 + 3] = -sinPhi * sinL;
    basis[i * 5 + 4] = cosPhi;
  }
  return { count, xyz, sin2Lat, basis, lon, lat };
}

/** Points of `a` followed by points of `b` (no trigonometry recomputed). */
export function concatEcef(a: EcefPoints, b: EcefPoints): EcefPoints {
  const join = (x: Float64Array, y: Float64Array) => {
    const out = new Float64Array(x.length + y.length);
    out.set(x);
    out.set(y, x.length);
    return out;
  };
  return {
    count: a.count + b.count,
    xyz: join(a.xyz, b.xyz),
    sin2Lat: join(a.sin2Lat, b.sin2Lat),
    basis: join(a.basis, b.basis),
    lon: join(a.lon, b.lon),
    lat: join(a.lat, b.lat),
  };
}

/** Squared chord between point i of `a` and point j of `b`. */
export function chord2(a: EcefPoints, i: number, b: EcefPoints, j: number): number {
  const dx = a.xyz[i * 3]! - b.xyz[j * 3]!;
  const dy = a.xyz[i * 3 + 1]! - b.xyz[j * 3 + 1]!;
  const dz = a.xyz[i * 3 + 2]! - b.xyz[j * 3 + 2]!;
  return dx * dx + dy * dy + dz * dz;
}

/**
 * Geodesic length (metres) between point i of `a` and point j of `b`, given
 * their squared chord.
 */
export function geodesicFromChord(a: EcefPoints, i: number, b: EcefPoints, j: number, c2: number): number {
  if (c2 === 0) return 0;
  const c = Math.sqrt(c2);
  if (c > SERIES_LIMIT_M) return vincenty(a.lon[i]!, a.lat[i]!, b.lon[j]!, b.lat[j]!);
  // Radius of curvature of the normal section in the direction of travel (Euler):
  // 1/R = cos²α/M + sin²α/N at the mid-latitude.
  const s2 = (a.sin2Lat[i]! + b.sin2Lat[j]!) / 2;
  const w2 = 1 - E2 * s2;
  const n = WGS84_A / Math.sqrt(w2);
  const m = (n * (1 - E2)) / w2;
  const dx = b.xyz[j * 3]! - a.xyz[i * 3]!;
  const dy = b.xyz[j * 3 + 1]! - a.xyz[i * 3 + 1]!;
  const dz = b.xyz[j * 3 + 2]! - a.xyz[i * 3 + 2]!;
  // The first point's east/north are close enough to the midpoint's for the azimuth.
  const e = a.basis;
  const east = e[i * 5]! * dx + e[i * 5 + 1]! * dy;
  const north = e[i * 5 + 2]! * dx + e[i * 5 + 3]! * dy + e[i * 5 + 4]! * dz;
  const h2 = east * east + north * north;
  const cos2Az = h2 === 0 ? 1 : (north * north) / h2;
  const invR = cos2Az / m + (1 - cos2Az) / n;
  const k = c * c * invR * invR;
  return c * (1 + k / 24 + (3 * k * k) / 640);
}

/** Geodesic length (metres) between two lon/lat points (Vincenty's inverse on WGS84). */
export function vincenty(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const L = (lon2 - lon1) * DEG;
  const U1 = Math.atan((1 - WGS84_F) * Math.tan(lat1 * DEG));
  const U2 = Math.atan((1 - WGS84_F) * Math.tan(lat2 * DEG));
  const sinU1 = Math.sin(U1);
  const cosU1 = Math.cos(U1);
  const sinU2 = Math.sin(U2);
  const cosU2 = Math.cos(U2);
  let lambda = L;
  let sinSigma = 0;
  let cosSigma = 1;
  let sigma = 0;
  let cos2Alpha = 1;
  let cos2SigmaM = 0;
  for (let iter = 0; iter < 200; iter++) {
    const sinLambda = Math.sin(lambda);
    const cosLambda = Math.cos(lambda);
    const t1 = cosU2 * sinLambda;
    const t2 = cosU1 * sinU2 - sinU1 * cosU2 * cosLambda;
    sinSigma = Math.sqrt(t1 * t1 + t2 * t2);
    if (sinSigma === 0) return 0;
    cosSigma = sinU1 * sinU2 + cosU1 * cosU2 * cosLambda;
    sigma = Math.atan2(sinSigma, cosSigma);
    const sinAlpha = (cosU1 * cosU2 * sinLambda) / sinSigma;
    cos2Alpha = 1 - sinAlpha * sinAlpha;
    cos2SigmaM = cos2Alpha === 0 ? 0 : cosSigma - (2 * sinU1 * sinU2) / cos2Alpha;
    const C = (WGS84_F / 16) * cos2Alpha * (4 + WGS84_F * (4 - 3 * cos2Alpha));
    const previous = lambda;
    lambda = L + (1 - C) * WGS84_F * sinAlpha * (sigma + C * sinSigma * (cos2SigmaM + C * cosSigma * (-1 + 2 * cos2SigmaM * cos2SigmaM)));
    if (Math.abs(lambda - previous) < 1e-13) break;
  }
  const u2 = (cos2Alpha * (WGS84_A * WGS84_A - WGS84_B * WGS84_B)) / (WGS84_B * WGS84_B);
  const A = 1 + (u2 / 16384) * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)));
  const B = (u2 / 1024) * (256 + u2 * (-128 + u2 * (74 - 47 * u2)));
  const deltaSigma =
    B *
    sinSigma *
    (cos2SigmaM +
      (B / 4) *
        (cosSigma * (-1 + 2 * cos2SigmaM * cos2SigmaM) - (B / 6) * cos2SigmaM * (-3 + 4 * sinSigma * sinSigma) * (-3 + 4 * cos2SigmaM * cos2SigmaM)));
  return WGS84_B * A * (sigma - deltaSigma);
}

/** Geodesic length between two lon/lat points through the same path the engine uses. */
export function geodesicDistance(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const a = toEcef(Float64Array.of(lon1), Float64Array.of(lat1));
  const b = toEcef(Float64Array.of(lon2), Float64Array.of(lat2));
  return geodesicFromChord(a, 0, b, 0, chord2(a, 0, b, 0));
}
