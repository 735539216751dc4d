/**
 * A change as the client sent it → the change as stored: coordinates converted
 * to WGS84 and checked inside the region, units resolved (given and checked
 * against the location, or inferred from it: a village clinic stands in the
 * nearest village of the unit holding the point), served villages checked,
 * added facilities given their id and code. Everything that needs the
 * database; `applyChange` then checks the change against the scenario's state.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { toWgs84, type InputCrs } from '../importexport/coords.ts';
import { checkPlacements } from '../importexport/placement.ts';
import { invalidChange, type ChangeInput, type Location, type StoredChange } from './changes.ts';
import { nextScenarioFacilityId } from './repository.ts';
import type { ScenarioState } from './state.ts';

interface Placed {
  lon: number;
  lat: number;
  unitCode: string;
}

/** Where a point stands; 400 naming the field when it is outside the region or its unit. */
export async function place(db: Kysely<Database>, location: Location, crs: string | undefined, unitCode: string | undefined, settle: boolean, field: string): Promise<Placed> {
  const [lon, lat] = toWgs84(location.lon, location.lat, (crs ?? 'wgs84') as InputCrs);
  const placement = (await checkPlacements(db, [{ ord: 1, lon, lat, unitCode: unitCode ?? null }], { settle })).get(1)!;
  const where = `(${lon.toFixed(6)}, ${lat.toFixed(6)})`;
  if (placement.region === 'out') {
    throw invalidChange(
      `The location ${where} is outside Inner Mongolia (more than ~2 km beyond the region boundary). Check the coordinates (longitude first) and their system (crs).`,
      `位置 ${where} 在内蒙古自治区范围之外（超出区界约 2 公里以上）。请检查坐标（经度在前）及坐标系（crs）。`,
      [{ field: `${field}.location`, value: [lon, lat], en: 'outside Inner Mongolia', zh: '位于内蒙古自治区范围之外' }],
    );
  }
  if (unitCode === undefined) {
    const inferred = placement.settlementCode ?? placement.inferredCode;
    if (!inferred) {
      throw invalidChange('Give unitCode: the location is not inside any banner.', '请填写 unitCode：该位置不在任何旗县范围内。', [
        { field: `${field}.unitCode`, en: 'required here', zh: '此处必填' },
      ]);
    }
    return { lon, lat, unitCode: inferred };
  }
  if (!placement.unitFound) {
    throw invalidChange(`No administrative unit has the code ${unitCode}.`, `不存在代码为 ${unitCode} 的行政区划。`, [
      { field: `${field}.unitCode`, value: unitCode, en: 'unknown unit code', zh: '未知的区划代码' },
    ]);
  }
  if (placement.unitCheck === 'out') {
    throw invalidChange(
      `The location ${where} is outside ${placement.checkedAgainstName} (${placement.checkedAgainst}), the ${placement.checkedAgainst === unitCode ? 'unit given' : `banner of unit ${unitCode}`}. Check the coordinates or the unit code.`,
      `位置 ${where} 不在${placement.checkedAgainstName}（${placement.checkedAgainst}）范围内（${placement.checkedAgainst === unitCode ? '即所填区划' : `所填区划 ${unitCode} 所属旗县`}）。请检查坐标或区划代码。`,
      [{ field: `${field}.location`, value: [lon, lat], en: `outside ${placement.checkedAgainst}`, zh: `不在 ${placement.checkedAgainst} 范围内` }],
    );
  }
  return { lon, lat, unitCode };
}

async function checkVillages(db: Kysely<Database>, codes: readonly string[] | undefined, field: string): Promise<void> {
  if (!codes || codes.length === 0) return;
  const found = new Set((await db.selectFrom('admin_unit').select('code').where('code', 'in', [...codes]).where('level', '=', 'village').execute()).map((r) => r.code));
  const missing = codes.filter((c) => !found.has(c));
  if (missing.length > 0) {
    throw invalidChange(`No village has the code(s) ${missing.join(', ')}.`, `不存在代码为 ${missing.join('、')} 的嘎查村。`, [
      { field, value: missing, en: `unknown village code(s) ${missing.join(', ')}`, zh: `未知的嘎查村代码 ${missing.join('、')}` },
    ]);
  }
}

/** The stored form of a change, checked against the database (not yet against the scenario's state). */
export async function prepareChange(db: Kysely<Database>, state: ScenarioState, input: ChangeInput, scenarioId: number): Promise<StoredChange> {
  switch (input.kind) {
    case 'add_facility': {
      const { location, crs, unitCode, code, ...facility } = input.facility;
      const site = await place(db, location, crs, unitCode, facility.type === 'village_clinic', 'change.facility');
      await checkVillages(db, facility.villagesServed, 'change.facility.villagesServed');
      const facilityId = await nextScenarioFacilityId(db);
      const finalCode = code?.trim() ?? `S${scenarioId}-N${-facilityId}`;
      await state.base.ensure(db, { codes: [finalCode], unitCodes: [site.unitCode] });
      return { kind: 'add_facility', facilityId, code: finalCode, unitCode: site.unitCode, lon: site.lon, lat: site.lat, facility };
    }
    case 'close_facility':
      await state.base.ensure(db, { facilityIds: [input.facilityId] });
      return { kind: 'close_facility', facilityId: input.facilityId, ...(input.reason !== undefined ? { reason: input.reason } : {}) };
    case 'move_facility': {
      await state.base.ensure(db, { facilityIds: [input.facilityId] });
      const type = state.facility(input.facilityId)?.row.type;
      const site = await place(db, input.location, input.crs, input.unitCode, type === 'village_clinic', 'change');
      await state.base.ensure(db, { unitCodes: [site.unitCode] });
      return { kind: 'move_facility', facilityId: input.facilityId, ...site };
    }
    case 'update_facility':
      await state.base.ensure(db, { facilityIds: [input.facilityId] });
      await checkVillages(db, input.set.villagesServed, 'change.set.villagesServed');
      return { kind: 'update_facility', facilityId: input.facilityId, set: input.set };
    case 'merge_facilities': {
      await state.base.ensure(db, { facilityIds: input.facilityIds });
      const survivorId = input.survivorId ?? input.facilityIds[0] ?? 0;
      let site: Placed | null = null;
      if (input.location) {
        const type = state.facility(survivorId)?.row.type;
        site = await place(db, input.location, input.crs, input.unitCode, type === 'village_clinic', 'change');
        await state.base.ensure(db, { unitCodes: [site.unitCode] });
      } else if (input.unitCode !== undefined) {
        throw invalidChange('unitCode needs a location: give the new site’s location, or omit both to keep the survivor’s site.', 'unitCode 需与 location 一起填写：请给出新址坐标，或两者都不填以保留原址。', [
          { field: 'change.location', en: 'required with unitCode', zh: '填写 unitCode 时必填' },
        ]);
      }
      return {
        kind: 'merge_facilities',
        facilityIds: input.facilityIds,
        survivorId,
        site,
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.allowMixedTypes !== undefined ? { allowMixedTypes: input.allowMixedTypes } : {}),
      };
    }
    case 'set_unit_population': {
      await state.base.ensure(db, { subtrees: [input.unitCode] });
      const { kind: _kind, ...rest } = input;
      return { kind: 'set_unit_population', ...rest };
    }
  }
}
