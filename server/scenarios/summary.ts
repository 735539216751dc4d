/**
 * The paragraph a consultant pastes into a memo, in Chinese and English, built
 * only from the diff's own figures (so the memo and the tables never disagree).
 */
import { fmt } from '../rules/text.ts';
import { LEVEL_LABELS } from '../domain/taxonomy.ts';
import type { Bilingual } from '../rules/types.ts';
import type { ClassDiff, RuleChange, ScenarioDiff } from './diff.ts';

export interface SummaryContext {
  scenarioName: string;
  /** Changes applied (own and inherited) and changes skipped as conflicts. */
  changes: number;
  conflicts: number;
  /** Name of what the scenario is compared with: null = the baseline. */
  againstName: string | null;
}

const n = (v: number) => fmt(v, 0);

function ruleExample(c: RuleChange): Bilingual {
  const short = c.after.shortfallText;
  return {
    zh: `${c.unit.name}「${c.title.zh}」${short ? `（${short.zh}）` : ''}`,
    en: `${c.unit.name}: ${c.title.en}${short ? ` (${short.en})` : ''}`,
  };
}

function rulesPart(diff: ScenarioDiff): Bilingual {
  const r = diff.rules;
  if (r.newlyFailing + r.fixed + r.otherStatusChanges === 0) {
    return { zh: '各单元的规则达标情况不变', en: 'no rule changes status in any unit' };
  }
  const zh: string[] = [];
  const en: string[] = [];
  if (r.newlyFailing > 0) {
    const must = r.byForce.must.newlyFailing;
    const examples = r.changes.filter((c) => c.direction === 'newly_failing').slice(0, 2).map(ruleExample);
    zh.push(`${n(r.newlyFailing)} 项规则结果变为不达标${must > 0 ? `（其中约束性要求 ${n(must)} 项）` : ''}，如${examples.map((e) => e.zh).join('；')}`);
    en.push(`${n(r.newlyFailing)} rule result(s) newly fail${must > 0 ? ` (${n(must)} of them binding requirements)` : ''}, e.g. ${examples.map((e) => e.en).join('; ')}`);
  }
  if (r.fixed > 0) {
    const examples = r.changes.filter((c) => c.direction === 'fixed').slice(0, 1).map((c) => ({ zh: `${c.unit.name}「${c.title.zh}」`, en: `${c.unit.name}: ${c.title.en}` }));
    zh.push(`${n(r.fixed)} 项由不达标转为达标（如${examples[0]!.zh}）`);
    en.push(`${n(r.fixed)} now pass (e.g. ${examples[0]!.en})`);
  }
  if (r.otherStatusChanges > 0) {
    zh.push(`另有 ${n(r.otherStatusChanges)} 项状态发生其他变化（如变为不适用或数据缺失）`);
    en.push(`${n(r.otherStatusChanges)} other status change(s) (e.g. to not applicable or unknown)`);
  }
  return { zh: zh.join('；'), en: en.join('; ') };
}

function limitText(c: ClassDiff): Bilingual {
  return c.class.limit.kind === 'time'
    ? { zh: `${c.class.limit.minutes} 分钟内`, en: `within ${c.class.limit.minutes} min` }
    : { zh: `${n(c.class.limit.metres)} 米内`, en: `within ${n(c.class.limit.metres)} m` };
}

function accessPart(diff: ScenarioDiff): Bilingual {
  const moved = diff.access.filter((c) => c.totals.losing || c.totals.gaining || c.totals.longer || c.totals.shorter);
  if (moved.length === 0) return { zh: '各类机构的可达人口和行程时间不变', en: 'access to every class of facility is unchanged' };
  const ranked = [...moved].sort((a, b) => b.totals.losing - a.totals.losing || b.totals.longer - a.totals.longer || b.totals.gaining - a.totals.gaining).slice(0, 3);
  const zh: string[] = [];
  const en: string[] = [];
  for (const c of ranked) {
    const t = c.totals;
    const l = limitText(c);
    const reach = [
      t.losing > 0 ? { zh: `${n(t.losing)} 人不再能${l.zh}到达`, en: `${n(t.losing)} people lose access ${l.en}` } : null,
      t.gaining > 0 ? { zh: `${n(t.gaining)} 人新获得${l.zh}可达`, en: `${n(t.gaining)} gain it` } : null,
    ].filter((x): x is Bilingual => x !== null);
    const travel =
      t.longer > 0
        ? {
            zh: `行程变远的 ${n(t.longer)} 人中，${n(t.over5)} 人增加超过 5 分钟、${n(t.over15)} 人超过 15 分钟、${n(t.over30)} 人超过 30 分钟${t.noFacility > 0 ? `（其中 ${n(t.noFacility)} 人已无此类机构）` : ''}`,
            en: `of the ${n(t.longer)} people whose trip gets longer, ${n(t.over5)} travel more than 5 minutes further, ${n(t.over15)} more than 15 and ${n(t.over30)} more than 30${t.noFacility > 0 ? ` (${n(t.noFacility)} have no such facility left)` : ''}`,
          }
        : null;
    const shorter = t.shorter > 0 ? { zh: `${n(t.shorter)} 人行程缩短`, en: `${n(t.shorter)} people get a shorter trip` } : null;
    const parts = [...reach, ...(travel ? [travel] : []), ...(shorter ? [shorter] : [])];
    zh.push(`${c.class.name.zh}：${parts.map((p) => p.zh).join('，')}`);
    en.push(`${c.class.name.en}: ${parts.map((p) => p.en).join(', ')}`);
  }
  return { zh: zh.join('；'), en: en.join('; ') };
}

function facilitiesPart(diff: ScenarioDiff): Bilingual {
  const count = (w: string) => diff.facilities.filter((f) => f.what === w).length;
  const kinds: [string, string, string][] = [
    ['added', '新增', 'added'],
    ['closed', '关闭', 'closed'],
    ['merged_away', '并入他院', 'merged into another'],
    ['moved', '迁址', 'moved'],
    ['updated', '调整', 'changed'],
    ['reopened', '重新启用', 'reopened'],
  ];
  const parts = kinds.map(([w, zh, en]) => ({ c: count(w), zh, en })).filter((p) => p.c > 0);
  if (parts.length === 0) return { zh: '不涉及机构变动', en: 'no facility changes' };
  return {
    zh: `涉及机构 ${n(diff.facilities.length)} 所（${parts.map((p) => `${p.zh} ${n(p.c)} 所`).join('、')}）`,
    en: `${n(diff.facilities.length)} facilit${diff.facilities.length === 1 ? 'y' : 'ies'} involved (${parts.map((p) => `${n(p.c)} ${p.en}`).join(', ')})`,
  };
}

export function summaryOf(diff: ScenarioDiff, ctx: SummaryContext): Bilingual {
  const against = ctx.againstName === null ? { zh: '与现状相比', en: 'Compared with the baseline' } : { zh: `与情景「${ctx.againstName}」相比`, en: `Compared with scenario “${ctx.againstName}”` };
  const scope =
    diff.scope.level === 'region' ? { zh: '', en: '' } : { zh: `在${diff.scope.name}（${LEVEL_LABELS[diff.scope.level].zh}）范围内，`, en: ` within ${diff.scope.name} (${diff.scope.code})` };
  const rules = rulesPart(diff);
  const access = accessPart(diff);
  const facilities = facilitiesPart(diff);
  const conflicts =
    ctx.conflicts > 0
      ? { zh: `另有 ${n(ctx.conflicts)} 项变更与现状或所基于的情景冲突，未计入。`, en: ` ${n(ctx.conflicts)} change(s) conflict with the baseline or the scenario this one is based on and were left out.` }
      : { zh: '', en: '' };
  const synthetic = diff.synthetic ? { zh: '（结果基于合成数据，仅供方法演示。）', en: ' (Results are based on synthetic data, for method demonstration only.)' } : { zh: '', en: '' };
  return {
    zh: `情景「${ctx.scenarioName}」（${n(ctx.changes)} 项变更）${against.zh}，${scope.zh}${rules.zh}；${access.zh}；${facilities.zh}。${conflicts.zh}${synthetic.zh}`,
    en: `${against.en}${scope.en}, scenario “${ctx.scenarioName}” (${n(ctx.changes)} change${ctx.changes === 1 ? '' : 's'}): ${rules.en}; ${access.en}; ${facilities.en}.${conflicts.en}${synthetic.en}`,
  };
}
