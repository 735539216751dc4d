/**
 * Reading a row's point and reporting where it stands, shared by the facility
 * and population-cell imports.
 */
import { inEnvelope, toWgs84, type InputCrs } from './coords.ts';
import type { Placement } from './placement.ts';
import type { ProblemList } from './problems.ts';
import { parseCoordinate } from './values.ts';

function fmt(n: number): string {
  return String(Math.round(n * 1e6) / 1e6);
}

/**
 * Parse lon/lat, catch swapped columns and points far outside the region (no
 * database needed for those), convert to WGS84. Null when there is a problem.
 */
export function readPoint(
  problems: ProblemList,
  row: number,
  lonRaw: string | undefined,
  latRaw: string | undefined,
  headers: { lon: string; lat: string },
  crs: InputCrs,
): [number, number] | null {
  const lon = parseCoordinate(lonRaw ?? '');
  const lat = parseCoordinate(latRaw ?? '');
  let bad = false;
  if (!lon.ok) {
    problems.add(row, headers.lon, lonRaw, lon.code, `longitude ${lon.en}`, `经度${lon.zh}`);
    bad = true;
  } else if (lon.value === null) {
    problems.add(row, headers.lon, lonRaw, 'required', 'longitude is required', '经度为必填项');
    bad = true;
  }
  if (!lat.ok) {
    problems.add(row, headers.lat, latRaw, lat.code, `latitude ${lat.en}`, `纬度${lat.zh}`);
    bad = true;
  } else if (lat.value === null) {
    problems.add(row, headers.lat, latRaw, 'required', 'latitude is required', '纬度为必填项');
    bad = true;
  }
  if (bad || !lon.ok || !lat.ok || lon.value === null || lat.value === null) return null;
  const x = lon.value;
  const y = lat.value;
  if (!inEnvelope(x, y)) {
    if (inEnvelope(y, x)) {
      problems.add(
        row,
        `${headers.lon} / ${headers.lat}`,
        `${fmt(x)}, ${fmt(y)}`,
        'swapped_lat_lon',
        `longitude and latitude look swapped (longitude ${fmt(x)}, latitude ${fmt(y)}; Inner Mongolia is at longitude 97–126 E, latitude 37–53 N): exchange the two values or columns`,
        `经度和纬度似乎填反了（经度 ${fmt(x)}，纬度 ${fmt(y)}；内蒙古位于东经 97–126°、北纬 37–53°）：请交换这两个值或两列`,
      );
    } else if (x < -180 || x > 180 || y < -90 || y > 90) {
      problems.add(row, `${headers.lon} / ${headers.lat}`, `${fmt(x)}, ${fmt(y)}`, 'invalid_coordinate', 'is not a longitude/latitude pair in degrees (projected metres?)', '不是以度为单位的经纬度（是否为投影坐标米值？）');
    } else {
      outsideRegion(problems, row, headers, x, y);
    }
    return null;
  }
  return toWgs84(x, y, crs);
}

export function outsideRegion(problems: ProblemList, row: number, headers: { lon: string; lat: string }, x: number, y: number): void {
  problems.add(
    row,
    `${headers.lon} / ${headers.lat}`,
    `${fmt(x)}, ${fmt(y)}`,
    'outside_region',
    `the point (${fmt(x)}, ${fmt(y)}) is outside Inner Mongolia (more than ~2 km beyond the region boundary): check the coordinates`,
    `该点（${fmt(x)}, ${fmt(y)}）位于内蒙古自治区范围之外（超出区界约 2 公里以上）：请检查坐标`,
  );
}

/** Problems of one row's placement (region, unit existence, unit/banner consistency). */
export function reportPlacement(
  problems: ProblemList,
  row: number,
  point: [number, number],
  unitCode: string | null,
  placement: Placement,
  headers: { lon: string; lat: string; unit: string },
  knownInFile: (code: string) => boolean = () => false,
  requireUnit = true,
): void {
  if (placement.region === 'out') {
    outsideRegion(problems, row, headers, point[0], point[1]);
    return;
  }
  if (unitCode === null) {
    if (requireUnit && !placement.inferredCode) {
      problems.add(row, headers.unit, null, 'no_unit', 'no unit code is given and the point is not inside any banner: give the unit code (所在区划代码)', '未填写所在区划代码，且该点不在任何旗县范围内：请填写所在区划代码');
    }
    return;
  }
  if (!placement.unitFound) {
    if (knownInFile(unitCode)) return;
    const parent = unitCode.length === 12 ? unitCode.slice(0, 9) : unitCode.length === 9 ? unitCode.slice(0, 6) : null;
    problems.add(
      row,
      headers.unit,
      unitCode,
      'unit_not_found',
      `no administrative unit has the code ${unitCode}${parent ? ` (import the ${unitCode.length === 12 ? 'village and its township' : 'township'} first with unit-populations, or check the code)` : ''}`,
      `不存在代码为 ${unitCode} 的行政区划${parent ? `（请先用“区划人口”导入该${unitCode.length === 12 ? '嘎查村及其苏木乡镇' : '苏木乡镇'}，或检查代码）` : ''}`,
    );
    return;
  }
  if (placement.unitCheck === 'out') {
    const against = `${placement.checkedAgainstName ?? ''} (${placement.checkedAgainst})`;
    problems.add(
      row,
      `${headers.lon} / ${headers.lat}`,
      `${fmt(point[0])}, ${fmt(point[1])}`,
      'outside_unit',
      `the point is outside ${against}, ${placement.checkedAgainst === unitCode ? 'the unit given' : `the banner of unit ${unitCode} ${placement.unitName ?? ''}`}: check the coordinates or the unit code`,
      `该点不在${against}范围内（${placement.checkedAgainst === unitCode ? '即所填区划' : `所填区划 ${unitCode} ${placement.unitName ?? ''} 所属旗县`}）：请检查坐标或所在区划代码`,
    );
  }
}
