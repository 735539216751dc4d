import type { ImportKind } from './types.ts';
export const populationCellImport: ImportKind = { name: 'population-cells', entity: 'population_cell', formats: ['csv'], fields: [], plan: async () => null };
