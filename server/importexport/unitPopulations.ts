import type { ImportKind } from './types.ts';
export const unitPopulationImport: ImportKind = { name: 'unit-populations', entity: 'admin_unit', formats: ['csv'], fields: [], plan: async () => null };
