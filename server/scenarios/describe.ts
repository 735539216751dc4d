/** One line per change, Chinese and English, as a consultant would write it in a memo. */
import { DEPARTMENT_LABELS, type Department } from '../domain/taxonomy.ts';
import { fmt } from '../rules/text.ts';
import { CHANGE_KIND_LABELS, STAFF_COLUMNS, typeLabel, type StoredChange } from './changes.ts';
import { attributeColumns, type Facility, type ScenarioState } from './state.ts';

export interface Bilingual {
  zh: string;
  en: string;
}

function named(state: ScenarioState, id: number): Bilingual {
  const f = state.facility(id);
  return f ? { zh: `「${f.row.name}」（${id}）`, en: `${f.row.name} (${id})` } : { zh: `机构 ${id}`, en: `facility ${id}` };
}

/** Geodesic-enough distance for a sentence (haversine, metres). */
export function metresBetween(a: { lon: number; lat: number }, b: { lon: number; lat: number }): number {
  const r = 6_371_008.8;
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * r * Math.asin(Math.sqrt(h));
}

function km(m: number): Bilingual {
  return m >= 1000 ? { zh: `${fmt(m / 1000, 1)} 公里`, en: `${fmt(m / 1000, 1)} km` } : { zh: `${fmt(m, 0)} 米`, en: `${fmt(m, 0)} m` };
}

const COLUMN_LABELS: Record<string, Bilingual> = {
  name: { zh: '名称', en: 'name' },
  type: { zh: '类型', en: 'type' },
  status: { zh: '状态', en: 'status' },
  grade: { zh: '等级', en: 'grade' },
  ownership: { zh: '所有制', en: 'ownership' },
  run_by_level: { zh: '举办层级', en: 'run by' },
  central: { zh: '中心卫生院', en: 'central' },
  beds: { zh: '床位', en: 'beds' },
  beds_paediatric: { zh: '儿科床位', en: 'paediatric beds' },
  tcm_hall_level: { zh: '中医馆', en: 'TCM hall' },
  tcm_technique_categories: { zh: '中医药技术类别', en: 'TCM technique categories' },
  tcm_techniques: { zh: '中医药技术项', en: 'TCM techniques' },
  provides_deliveries: { zh: '助产服务', en: 'deliveries' },
  villages_served: { zh: '服务村', en: 'villages served' },
  staff_doctors: { zh: '执业医师', en: 'doctors' },
  staff_assistant_doctors: { zh: '执业助理医师', en: 'assistant doctors' },
  staff_nurses: { zh: '注册护士', en: 'nurses' },
  staff_gps: { zh: '全科医生', en: 'GPs' },
  staff_tcm_doctors: { zh: '中医类别医师', en: 'TCM doctors' },
  staff_tcm_gps: { zh: '中医类别全科医生', en: 'TCM GPs' },
  staff_village_doctors: { zh: '乡村医生', en: 'village doctors' },
  staff_public_health: { zh: '公共卫生人员', en: 'public-health staff' },
  staff_supervisors: { zh: '卫生监督员', en: 'supervisors' },
  staff_tcm_capable: { zh: '能提供中医药服务的人员', en: 'TCM-capable staff' },
};

function show(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (Array.isArray(v)) return v.length === 0 ? '—' : v.join(',');
  return String(v);
}

function departmentsText(before: string[], after: string[]): Bilingual {
  const added = after.filter((d) => !before.includes(d));
  const removed = before.filter((d) => !after.includes(d));
  const zh = [
    ...added.map((d) => `增设${DEPARTMENT_LABELS[d as Department]?.zh ?? d}`),
    ...removed.map((d) => `撤销${DEPARTMENT_LABELS[d as Department]?.zh ?? d}`),
  ];
  const en = [...added.map((d) => `adds ${DEPARTMENT_LABELS[d as Department]?.en ?? d}`), ...removed.map((d) => `removes ${DEPARTMENT_LABELS[d as Department]?.en ?? d}`)];
  return { zh: zh.join('、'), en: en.join(', ') };
}

/** What a change does, read against the state just before it. */
export function describeChange(state: ScenarioState, change: StoredChange): Bilingual {
  switch (change.kind) {
    case 'add_facility':
      return {
        zh: `新增${typeLabel(change.facility.type)}「${change.facility.name}」（${change.facilityId}），位于 ${change.unitCode}`,
        en: `Add ${change.facility.type.replace(/_/g, ' ')} ${change.facility.name} (${change.facilityId}) in ${change.unitCode}`,
      };
    case 'close_facility': {
      const n = named(state, change.facilityId);
      return { zh: `关闭${n.zh}${change.reason ? `（${change.reason}）` : ''}`, en: `Close ${n.en}${change.reason ? ` (${change.reason})` : ''}` };
    }
    case 'move_facility': {
      const n = named(state, change.facilityId);
      const f = state.facility(change.facilityId);
      const d = f ? km(metresBetween(f, change)) : null;
      return {
        zh: `迁移${n.zh}至 ${change.unitCode}（${change.lon.toFixed(5)}, ${change.lat.toFixed(5)}）${d ? `，距原址 ${d.zh}` : ''}`,
        en: `Move ${n.en} to ${change.unitCode} (${change.lon.toFixed(5)}, ${change.lat.toFixed(5)})${d ? `, ${d.en} from its site` : ''}`,
      };
    }
    case 'update_facility': {
      const n = named(state, change.facilityId);
      const f = state.facility(change.facilityId);
      const columns = attributeColumns(change.set);
      const parts: Bilingual[] = [];
      for (const [column, value] of Object.entries(columns)) {
        if (column === 'grade_level') continue;
        const before = f?.row[column];
        if (column === 'departments') {
          const t = departmentsText((before as string[]) ?? [], value as string[]);
          if (t.zh) parts.push(t);
          continue;
        }
        if (JSON.stringify(before) === JSON.stringify(value)) continue;
        const l = COLUMN_LABELS[column] ?? { zh: column, en: column };
        parts.push({ zh: `${l.zh} ${show(before)}→${show(value)}`, en: `${l.en} ${show(before)} → ${show(value)}` });
      }
      return {
        zh: `修改${n.zh}${parts.length ? `：${parts.map((p) => p.zh).join('，')}` : '（无实际变化）'}`,
        en: `Update ${n.en}${parts.length ? `: ${parts.map((p) => p.en).join(', ')}` : ' (no actual change)'}`,
      };
    }
    case 'merge_facilities': {
      const names = change.facilityIds.map((id) => named(state, id));
      const survivor = named(state, change.survivorId);
      const beds = change.facilityIds.reduce((s, id) => s + Number(state.facility(id)?.row.beds ?? 0), 0);
      const staff = change.facilityIds.reduce((s, id) => {
        const f: Facility | null = state.facility(id);
        return s + Object.values(STAFF_COLUMNS).reduce((t, c) => t + Number(f?.row[c] ?? 0), 0);
      }, 0);
      return {
        zh: `合并${names.map((n) => n.zh).join('、')}，保留${survivor.zh}${change.site ? `并迁至 ${change.site.unitCode}` : ''}（床位合计 ${fmt(beds, 0)} 张，人员合计 ${fmt(staff, 0)} 人）`,
        en: `Merge ${names.map((n) => n.en).join(', ')} into ${survivor.en}${change.site ? `, moved to ${change.site.unitCode}` : ''} (${fmt(beds, 0)} beds, ${fmt(staff, 0)} staff together)`,
      };
    }
    case 'set_unit_population': {
      const u = state.unit(change.unitCode);
      const name = u ? `${u.name}（${u.code}）` : change.unitCode;
      const before = u?.population ?? null;
      return {
        zh: `将${name}常住人口由 ${before === null ? '未知' : fmt(before, 0)} 调整为 ${fmt(change.population, 0)}${change.source ? `（${change.source}）` : ''}`,
        en: `Set the population of ${u ? `${u.name} (${u.code})` : change.unitCode} from ${before === null ? 'unknown' : fmt(before, 0)} to ${fmt(change.population, 0)}${change.source ? ` (${change.source})` : ''}`,
      };
    }
  }
}

export function kindLabel(change: StoredChange): Bilingual {
  return CHANGE_KIND_LABELS[change.kind];
}
