/** The policy documents the catalogue cites (texts in ./sources/, see its README). */
import type { Bilingual, SourceFile } from './types.ts';

export interface SourceDocument {
  file: SourceFile;
  /** Short reference used in citations: 000 … 004. */
  ref: string;
  title: Bilingual;
  issuer: string;
  date: string;
  /** 002 is a draft for comment: its rules may still change. */
  status: 'in_force' | 'draft';
}

export const SOURCES: Record<SourceFile, SourceDocument> = {
  '000_7de451bffa4866dc.txt': {
    file: '000_7de451bffa4866dc.txt',
    ref: '000',
    title: { zh: '内蒙古自治区“十四五”卫生与健康事业发展规划', en: 'Inner Mongolia 14th Five-Year Plan for health (2021)' },
    issuer: '内蒙古自治区人民政府办公厅 内政办发〔2021〕61号',
    date: '2021-10-16',
    status: 'in_force',
  },
  '001_3f3f1bf1cb9d4b37.txt': {
    file: '001_3f3f1bf1cb9d4b37.txt',
    ref: '001',
    title: { zh: '敖汉旗“十四五”卫生与健康事业发展规划', en: 'Aohan Banner 14th Five-Year Plan for health (2023)' },
    issuer: '敖汉旗人民政府办公室 敖政办发〔2023〕32号',
    date: '2023-04-12',
    status: 'in_force',
  },
  '002_bbee473a6d319f37.txt': {
    file: '002_bbee473a6d319f37.txt',
    ref: '002',
    title: { zh: '内蒙古自治区关于进一步完善医疗卫生服务体系实施方案（征求意见稿）', en: 'Inner Mongolia plan to improve the medical and health service system (draft for comment)' },
    issuer: '内蒙古自治区（征求意见稿）',
    date: '2023/2024',
    status: 'draft',
  },
  '003_ea3fa2f3d5dcf77a.txt': {
    file: '003_ea3fa2f3d5dcf77a.txt',
    ref: '003',
    title: { zh: '《“健康内蒙古2030”实施方案》重点任务分工方案', en: 'Healthy Inner Mongolia 2030: division of key tasks' },
    issuer: '内蒙古自治区人民政府办公厅',
    date: '~2017',
    status: 'in_force',
  },
  '004_e8ec4b8c7e8c66c9.txt': {
    file: '004_e8ec4b8c7e8c66c9.txt',
    ref: '004',
    title: { zh: '内蒙古自治区基层中医药（蒙医药）服务能力提升工程“十四五”行动计划', en: 'Inner Mongolia action plan for grassroots TCM / Mongolian-medicine capacity (2021–2025)' },
    issuer: '内蒙古自治区',
    date: '2021–2025',
    status: 'in_force',
  },
};
