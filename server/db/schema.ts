/**
 * The `Database` interface kysely types every query against, assembled from one
 * interface per table. Nullable columns are `T | null`; counts and populations
 * are numbers on both engines (int8 and numeric are parsed deliberately, see
 * server/db/index.ts).
 *
 * Geometry columns are typed as `Geometry`: they are written through PostGIS
 * expressions (server/db/postgis.ts) and leave the database only through
 * ST_AsGeoJSON, never as raw EWKB.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { Department, FacilityStatus, FacilityType, Grade, Level, Ownership, TcmHallLevel } from '../domain/taxonomy.ts';

/** Hex EWKB as stored; never selected directly. */
export type Geometry = ColumnType<string, string, string>;
export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
export type Json<T> = ColumnType<T, string, string>;

export interface AdminUnitTable {
  code: string;
  parent_code: string | null;
  level: Level;
  name: string;
  kind: string | null;
  urban: Generated<boolean>;
  population: number | null;
  population_urban: number | null;
  population_year: number | null;
  population_source: string | null;
  pop_age_0_14: number | null;
  pop_age_65_plus: number | null;
  births: number | null;
  area_km2: number | null;
  mobile_service: Generated<boolean>;
  boundary: Geometry | null;
  point: Geometry | null;
  synthetic: Generated<boolean>;
  source: string | null;
  /** Set by trigger from the parent chain. */
  league_code: Generated<string | null>;
  banner_code: Generated<string | null>;
  township_code: Generated<string | null>;
  version: Generated<number>;
  updated_at: Timestamp;
}

export interface FacilityTable {
  id: Generated<number>;
  code: string;
  name: string;
  type: FacilityType;
  central: Generated<boolean>;
  run_by_level: Level | null;
  ownership: Generated<Ownership>;
  grade: Grade | null;
  grade_level: ColumnType<number, never, never>;
  status: Generated<FacilityStatus>;
  location: Geometry;
  unit_code: string;
  league_code: Generated<string | null>;
  banner_code: Generated<string | null>;
  township_code: Generated<string | null>;
  beds: number | null;
  beds_paediatric: number | null;
  staff_doctors: number | null;
  staff_assistant_doctors: number | null;
  staff_nurses: number | null;
  staff_gps: number | null;
  staff_tcm_doctors: number | null;
  staff_tcm_gps: number | null;
  staff_village_doctors: number | null;
  staff_public_health: number | null;
  staff_supervisors: number | null;
  staff_tcm_capable: number | null;
  departments: Generated<Department[]>;
  tcm_hall_level: TcmHallLevel | null;
  tcm_technique_categories: number | null;
  tcm_techniques: number | null;
  provides_deliveries: boolean | null;
  villages_served: Generated<string[]>;
  merged_into_id: number | null;
  synthetic: Generated<boolean>;
  source: string | null;
  version: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PopulationCellTable {
  id: Generated<number>;
  cell_key: string;
  location: Geometry;
  cell_size_m: number;
  population: number;
  unit_code: string;
  league_code: Generated<string | null>;
  banner_code: Generated<string | null>;
  township_code: Generated<string | null>;
  synthetic: Generated<boolean>;
  source: string | null;
}

export interface RuleSetTable {
  id: Generated<number>;
  name: string;
  description: string | null;
  is_default: Generated<boolean>;
  based_on_id: number | null;
  owner: string | null;
  target_year: Generated<number>;
  params: Json<Record<string, unknown>>;
  disabled_rules: Generated<string[]>;
  version: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ScenarioTable {
  id: Generated<number>;
  name: string;
  description: string | null;
  owner: string | null;
  based_on_id: number | null;
  version: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ScenarioChangeTable {
  id: Generated<number>;
  scenario_id: number;
  seq: number;
  kind: string;
  payload: Json<Record<string, unknown>>;
  created_by: string | null;
  created_at: Timestamp;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: Timestamp;
  actor: string;
  action: string;
  entity_type: string;
  entity_id: string | null;
  before: Json<unknown> | null;
  after: Json<unknown> | null;
  details: Json<unknown> | null;
}

export interface DataStateTable {
  id: Generated<number>;
  data_version: Generated<number>;
  updated_at: Timestamp;
}

export interface AppUserTable {
  id: Generated<number>;
  /** Login name (lower case, immutable): the actor id in audit_log and scenario.owner. */
  name: string;
  display_name: string;
  role: 'viewer' | 'planner' | 'editor' | 'admin';
  /** Editors only: unit subtree they may change (null = whole region). */
  unit_code: string | null;
  password_hash: string;
  must_change_password: Generated<boolean>;
  disabled: Generated<boolean>;
  version: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
  password_changed_at: Timestamp;
  last_login_at: Timestamp | null;
}

export interface UserSessionTable {
  /** SHA-256 (hex) of the cookie value. */
  id: string;
  user_id: number;
  csrf_token: string;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
  ip: string | null;
  user_agent: string | null;
}

export interface ApiTokenTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  prefix: string;
  token_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp | null;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
  revoked_by: string | null;
}

export interface ScenarioShareTable {
  scenario_id: number;
  user_name: string;
  permission: 'read' | 'edit';
  granted_by: string;
  granted_at: Timestamp;
}

export interface Database {
  admin_unit: AdminUnitTable;
  facility: FacilityTable;
  population_cell: PopulationCellTable;
  rule_set: RuleSetTable;
  scenario: ScenarioTable;
  scenario_change: ScenarioChangeTable;
  audit_log: AuditLogTable;
  data_state: DataStateTable;
  app_user: AppUserTable;
  user_session: UserSessionTable;
  api_token: ApiTokenTable;
  scenario_share: ScenarioShareTable;
}

export type AdminUnitRow = Selectable<AdminUnitTable>;
export type NewAdminUnit = Insertable<AdminUnitTable>;
export type FacilityRow = Selectable<FacilityTable>;
export type NewFacility = Insertable<FacilityTable>;
export type FacilityUpdate = Updateable<FacilityTable>;
export type PopulationCellRow = Selectable<PopulationCellTable>;
export type NewPopulationCell = Insertable<PopulationCellTable>;
