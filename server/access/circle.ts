/**
 * The texts behind the 15-minute basic medical service circle: data only (no
 * registration side effects), shared by the rule (rule.ts) and the API.
 */
import type { Citation } from '../rules/types.ts';

export const CIRCLE_RULE_ID = 's3-15min-service-circle';

export const CIRCLE_CITATIONS: readonly Citation[] = [
  { file: '003_ea3fa2f3d5dcf77a.txt', lines: [31, 31], quote: '到2030年，建立起完善的医疗卫生服务体系，15分钟基本医疗卫生服务圈基本形成' },
  { file: '003_ea3fa2f3d5dcf77a.txt', lines: [31, 31], quote: '完善以“小药箱”为载体，固定与流动相结合的农村牧区卫生计生服务体系' },
  {
    file: '000_7de451bffa4866dc.txt',
    lines: [1035, 1036],
    quote: '依托苏木乡镇卫生院，发放配备“小药箱”，配备流动医疗服务车，解决距离医疗机构较远的农牧户的医疗卫生服务问题',
  },
];

