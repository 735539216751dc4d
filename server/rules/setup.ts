/**
 * Registers the built-in rule kinds and the catalogue, then the extensions
 * (./extensions.ts). Imported by engine.ts, so any code that evaluates rules
 * sees the complete catalogue; registration happens once per process.
 */
import { registerEvaluator, registerRules } from './registry.ts';
import { presenceByPopulation, presencePerUnit } from './evaluators/presence.ts';
import { facilityRequirement } from './evaluators/facilityRequirement.ts';
import { shareOfFacilities } from './evaluators/share.ts';
import { ratioPerPopulation } from './evaluators/ratio.ts';
import { villageClinicCoverage } from './evaluators/villageClinic.ts';
import { CATALOGUE } from './catalogue.ts';
import type { RuleDefinition } from './types.ts';

registerEvaluator(presenceByPopulation);
registerEvaluator(presencePerUnit);
registerEvaluator(facilityRequirement);
registerEvaluator(shareOfFacilities);
registerEvaluator(ratioPerPopulation);
registerEvaluator(villageClinicCoverage);
registerRules(CATALOGUE as readonly RuleDefinition[]);

await import('./extensions.ts');
