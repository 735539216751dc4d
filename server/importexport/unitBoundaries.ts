import type { ImportKind } from './types.ts';
export const unitBoundaryImport: ImportKind = { name: 'unit-boundaries', entity: 'admin_unit', formats: ['csv'], fields: [], plan: async () => null };
