/**
 * Schema v1 (PRODUCT.md §3): admin units, facilities, population cells, rule sets,
 * scenarios and the audit log.
 *
 * Frozen in time: this file never imports application code. The controlled lists
 * below are copies of server/domain/taxonomy.ts as of this migration; a later
 * change to the taxonomy is a new migration that replaces the CHECK constraint.
 */
import { sql, type Kysely } from 'kysely';

const LEVELS = ['region', 'league', 'banner', 'township', 'village'];
const FACILITY_TYPES = [
  'general_hospital',
  'tcm_hospital',
  'integrated_hospital',
  'mch_hospital',
  'psychiatric_hospital',
  'infectious_hospital',
  'specialist_hospital',
  'cdc',
  'health_supervision',
  'community_health_centre',
  'community_health_station',
  'township_health_centre',
  'village_clinic',
  'outpatient_clinic',
  'emergency_station',
  'nursing_rehab',
];
const FACILITY_STATUSES = ['planned', 'open', 'suspended', 'closed'];
const GRADES = ['3A', '3', '2A', '2', '1', 'ungraded'];
const OWNERSHIPS = ['public', 'private'];
const DEPARTMENTS = [
  'psychiatry_ward',
  'psychiatry_clinic',
  'mental_health_service',
  'paediatrics_ward',
  'paediatrics',
  'obstetrics',
  'neonatology',
  'icu',
  'emergency',
  'fever_clinic',
  'infectious_disease',
  'geriatrics',
  'rehabilitation',
  'tcm_department',
  'tcm_pavilion',
  'preventive_care',
  'tcm_service',
  'public_health',
  'isolation_observation',
  'occupational_health_exam',
  'occupational_disease_diagnosis',
  'p2_lab',
  'pcr_lab',
  'grassroots_guidance',
];
const TCM_HALL_LEVELS = ['standard', 'quality', 'demonstration'];
const CHANGE_KINDS = [
  'add_facility',
  'close_facility',
  'move_facility',
  'update_facility',
  'merge_facilities',
  'set_unit_population',
];

/** A SQL literal list such as ('a','b'), built from the constants above (never from input). */
function list(values: string[]) {
  return sql.raw(`(${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ')})`);
}
function array(values: string[]) {
  return sql.raw(`ARRAY[${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ')}]::text[]`);
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE EXTENSION IF NOT EXISTS postgis`.execute(db);

  // ── admin_unit ────────────────────────────────────────────────────────────
  await sql`
    CREATE TABLE admin_unit (
      code              text PRIMARY KEY,
      parent_code       text REFERENCES admin_unit (code) ON UPDATE CASCADE,
      level             text NOT NULL CHECK (level IN ${list(LEVELS)}),
      name              text NOT NULL CHECK (length(btrim(name)) > 0),
      kind              text,
      urban             boolean NOT NULL DEFAULT false,
      population        bigint CHECK (population >= 0),
      population_urban  bigint CHECK (population_urban >= 0 AND population_urban <= population),
      population_year   smallint CHECK (population_year BETWEEN 1950 AND 2100),
      population_source text,
      pop_age_0_14      bigint CHECK (pop_age_0_14 >= 0),
      pop_age_65_plus   bigint CHECK (pop_age_65_plus >= 0),
      births            integer CHECK (births >= 0),
      area_km2          double precision CHECK (area_km2 >= 0),
      mobile_service    boolean NOT NULL DEFAULT false,
      boundary          geometry(MultiPolygon, 4326),
      point             geometry(Point, 4326),
      synthetic         boolean NOT NULL DEFAULT false,
      source            text,
      league_code       text,
      banner_code       text,
      township_code     text,
      version           integer NOT NULL DEFAULT 1 CHECK (version >= 1),
      updated_at        timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT admin_unit_code_format CHECK (
        (level IN ('region', 'league', 'banner') AND code ~ '^[0-9]{6}$')
        OR (level = 'township' AND code ~ '^[0-9]{9}$')
        OR (level = 'village' AND code ~ '^[0-9]{12}$')
      ),
      CONSTRAINT admin_unit_root CHECK ((level = 'region') = (parent_code IS NULL))
    )`.execute(db);
  await sql`CREATE INDEX admin_unit_parent_idx ON admin_unit (parent_code)`.execute(db);
  await sql`CREATE INDEX admin_unit_level_idx ON admin_unit (level)`.execute(db);
  await sql`CREATE INDEX admin_unit_banner_idx ON admin_unit (banner_code)`.execute(db);
  await sql`CREATE INDEX admin_unit_league_idx ON admin_unit (league_code)`.execute(db);
  await sql`CREATE INDEX admin_unit_boundary_gix ON admin_unit USING gist (boundary)`.execute(db);
  await sql`CREATE INDEX admin_unit_point_gix ON admin_unit USING gist (point)`.execute(db);

  // Ancestor codes are derived from the parent so that subtree filters are a plain
  // equality on an indexed column (and the league code is there for distribution).
  await sql`
    CREATE FUNCTION admin_unit_set_ancestors() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE p admin_unit%ROWTYPE;
    BEGIN
      NEW.league_code := NULL; NEW.banner_code := NULL; NEW.township_code := NULL;
      IF NEW.parent_code IS NOT NULL THEN
        SELECT * INTO p FROM admin_unit WHERE code = NEW.parent_code;
        IF FOUND THEN
          NEW.league_code := p.league_code;
          NEW.banner_code := p.banner_code;
          NEW.township_code := p.township_code;
        END IF;
      END IF;
      IF NEW.level = 'league' THEN NEW.league_code := NEW.code;
      ELSIF NEW.level = 'banner' THEN NEW.banner_code := NEW.code;
      ELSIF NEW.level = 'township' THEN NEW.township_code := NEW.code;
      END IF;
      RETURN NEW;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER admin_unit_ancestors BEFORE INSERT OR UPDATE OF parent_code, level ON admin_unit
    FOR EACH ROW EXECUTE FUNCTION admin_unit_set_ancestors()`.execute(db);

  // ── facility ──────────────────────────────────────────────────────────────
  await sql`
    CREATE TABLE facility (
      id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      code                    text NOT NULL UNIQUE CHECK (length(code) BETWEEN 1 AND 64),
      name                    text NOT NULL CHECK (length(btrim(name)) > 0),
      type                    text NOT NULL CHECK (type IN ${list(FACILITY_TYPES)}),
      central                 boolean NOT NULL DEFAULT false,
      run_by_level            text CHECK (run_by_level IN ${list(LEVELS)}),
      ownership               text NOT NULL DEFAULT 'public' CHECK (ownership IN ${list(OWNERSHIPS)}),
      grade                   text CHECK (grade IN ${list(GRADES)}),
      grade_level             smallint GENERATED ALWAYS AS (
                                CASE grade WHEN '3A' THEN 3 WHEN '3' THEN 3 WHEN '2A' THEN 2
                                           WHEN '2' THEN 2 WHEN '1' THEN 1 ELSE 0 END) STORED,
      status                  text NOT NULL DEFAULT 'open' CHECK (status IN ${list(FACILITY_STATUSES)}),
      location                geometry(Point, 4326) NOT NULL,
      unit_code               text NOT NULL REFERENCES admin_unit (code) ON UPDATE CASCADE,
      league_code             text,
      banner_code             text,
      township_code           text,
      beds                    integer CHECK (beds >= 0),
      beds_paediatric         integer CHECK (beds_paediatric >= 0),
      staff_doctors           integer CHECK (staff_doctors >= 0),
      staff_assistant_doctors integer CHECK (staff_assistant_doctors >= 0),
      staff_nurses            integer CHECK (staff_nurses >= 0),
      staff_gps               integer CHECK (staff_gps >= 0),
      staff_tcm_doctors       integer CHECK (staff_tcm_doctors >= 0),
      staff_tcm_gps           integer CHECK (staff_tcm_gps >= 0),
      staff_village_doctors   integer CHECK (staff_village_doctors >= 0),
      staff_public_health     integer CHECK (staff_public_health >= 0),
      staff_supervisors       integer CHECK (staff_supervisors >= 0),
      staff_tcm_capable       integer CHECK (staff_tcm_capable >= 0),
      departments             text[] NOT NULL DEFAULT '{}' CHECK (departments <@ ${array(DEPARTMENTS)}),
      tcm_hall_level          text CHECK (tcm_hall_level IN ${list(TCM_HALL_LEVELS)}),
      tcm_technique_categories integer CHECK (tcm_technique_categories >= 0),
      tcm_techniques          integer CHECK (tcm_techniques >= 0),
      provides_deliveries     boolean,
      villages_served         text[] NOT NULL DEFAULT '{}',
      merged_into_id          bigint REFERENCES facility (id),
      synthetic               boolean NOT NULL DEFAULT false,
      source                  text,
      version                 integer NOT NULL DEFAULT 1 CHECK (version >= 1),
      created_at              timestamptz NOT NULL DEFAULT now(),
      updated_at              timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX facility_location_gix ON facility USING gist (location)`.execute(db);
  await sql`CREATE INDEX facility_type_idx ON facility (type, status)`.execute(db);
  await sql`CREATE INDEX facility_unit_idx ON facility (unit_code)`.execute(db);
  await sql`CREATE INDEX facility_banner_idx ON facility (banner_code)`.execute(db);
  await sql`CREATE INDEX facility_league_idx ON facility (league_code)`.execute(db);
  await sql`CREATE INDEX facility_township_idx ON facility (township_code)`.execute(db);

  // Facilities and cells copy the ancestor codes of the unit they stand in.
  await sql`
    CREATE FUNCTION located_set_ancestors() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE u admin_unit%ROWTYPE;
    BEGIN
      SELECT * INTO u FROM admin_unit WHERE code = NEW.unit_code;
      NEW.league_code := u.league_code;
      NEW.banner_code := u.banner_code;
      NEW.township_code := u.township_code;
      RETURN NEW;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER facility_ancestors BEFORE INSERT OR UPDATE OF unit_code ON facility
    FOR EACH ROW EXECUTE FUNCTION located_set_ancestors()`.execute(db);

  // ── population_cell ───────────────────────────────────────────────────────
  await sql`
    CREATE TABLE population_cell (
      id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      cell_key      text NOT NULL UNIQUE,
      location      geometry(Point, 4326) NOT NULL,
      cell_size_m   integer NOT NULL CHECK (cell_size_m > 0),
      population    integer NOT NULL CHECK (population >= 0),
      unit_code     text NOT NULL REFERENCES admin_unit (code) ON UPDATE CASCADE,
      league_code   text,
      banner_code   text,
      township_code text,
      synthetic     boolean NOT NULL DEFAULT false,
      source        text
    )`.execute(db);
  await sql`CREATE INDEX population_cell_location_gix ON population_cell USING gist (location)`.execute(db);
  await sql`CREATE INDEX population_cell_unit_idx ON population_cell (unit_code)`.execute(db);
  await sql`CREATE INDEX population_cell_banner_idx ON population_cell (banner_code)`.execute(db);
  await sql`
    CREATE TRIGGER population_cell_ancestors BEFORE INSERT OR UPDATE OF unit_code ON population_cell
    FOR EACH ROW EXECUTE FUNCTION located_set_ancestors()`.execute(db);

  // ── rule_set ──────────────────────────────────────────────────────────────
  await sql`
    CREATE TABLE rule_set (
      id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      name          text NOT NULL CHECK (length(btrim(name)) > 0),
      description   text,
      is_default    boolean NOT NULL DEFAULT false,
      based_on_id   bigint REFERENCES rule_set (id) ON DELETE SET NULL,
      owner         text,
      target_year   smallint NOT NULL DEFAULT 2025 CHECK (target_year IN (2025, 2030)),
      params        jsonb NOT NULL DEFAULT '{}'::jsonb,
      disabled_rules text[] NOT NULL DEFAULT '{}',
      version       integer NOT NULL DEFAULT 1 CHECK (version >= 1),
      created_at    timestamptz NOT NULL DEFAULT now(),
      updated_at    timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX rule_set_one_default ON rule_set (is_default) WHERE is_default`.execute(db);

  // ── scenario, scenario_change ─────────────────────────────────────────────
  await sql`
    CREATE TABLE scenario (
      id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      name             text NOT NULL CHECK (length(btrim(name)) > 0),
      description      text,
      owner            text,
      based_on_id      bigint REFERENCES scenario (id) ON DELETE SET NULL,
      version          integer NOT NULL DEFAULT 1 CHECK (version >= 1),
      created_at       timestamptz NOT NULL DEFAULT now(),
      updated_at       timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`
    CREATE TABLE scenario_change (
      id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      scenario_id  bigint NOT NULL REFERENCES scenario (id) ON DELETE CASCADE,
      seq          integer NOT NULL CHECK (seq >= 0),
      kind         text NOT NULL CHECK (kind IN ${list(CHANGE_KINDS)}),
      payload      jsonb NOT NULL,
      created_by   text,
      created_at   timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT scenario_change_seq_unique UNIQUE (scenario_id, seq) DEFERRABLE INITIALLY IMMEDIATE
    )`.execute(db);

  // ── audit_log ─────────────────────────────────────────────────────────────
  await sql`
    CREATE TABLE audit_log (
      id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at          timestamptz NOT NULL DEFAULT now(),
      actor       text NOT NULL,
      action      text NOT NULL,
      entity_type text NOT NULL,
      entity_id   text,
      before      jsonb,
      after       jsonb,
      details     jsonb
    )`.execute(db);
  await sql`CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id)`.execute(db);
  await sql`CREATE INDEX audit_log_at_idx ON audit_log (at)`.execute(db);

  // ── data_state: one row; bumped by every edit and import (cache key, ETags) ─
  await sql`
    CREATE TABLE data_state (
      id           smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
      data_version bigint NOT NULL DEFAULT 1,
      updated_at   timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`INSERT INTO data_state (id) VALUES (1)`.execute(db);

  for (const statement of COMMENTS) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['data_state', 'audit_log', 'scenario_change', 'scenario', 'rule_set', 'population_cell', 'facility', 'admin_unit']) {
    await sql.raw(`DROP TABLE IF EXISTS ${table} CASCADE`).execute(db);
  }
  await sql`DROP FUNCTION IF EXISTS located_set_ancestors()`.execute(db);
  await sql`DROP FUNCTION IF EXISTS admin_unit_set_ancestors()`.execute(db);
}

const COMMENTS = [
  `COMMENT ON TABLE admin_unit IS 'Five-level administrative hierarchy (region, league 盟市, banner 旗县市区, township 苏木乡镇街道, village 嘎查村社区) with official NBS codes'`,
  `COMMENT ON COLUMN admin_unit.code IS 'NBS statistical code: 6 digits for region/league/banner, 9 for township, 12 for village'`,
  `COMMENT ON COLUMN admin_unit.kind IS 'Unit kind from its name: 盟, 市, 旗, 县, 区, 镇, 乡, 苏木, 街道, 嘎查, 村, 社区, 其他'`,
  `COMMENT ON COLUMN admin_unit.urban IS 'Urban unit (街道 / 社区): plan community health stations rather than village clinics (002:25)'`,
  `COMMENT ON COLUMN admin_unit.population IS 'Resident population (常住人口) of the unit, the basis of every per-capita rule'`,
  `COMMENT ON COLUMN admin_unit.population_urban IS 'Urban (城镇) part of the resident population, from the census where known'`,
  `COMMENT ON COLUMN admin_unit.mobile_service IS 'Sparse pastoral area served by mobile services (流动服务, 000:1035; 003:31): uncovered people here are not counted as a plain gap'`,
  `COMMENT ON COLUMN admin_unit.boundary IS 'Boundary, WGS84; may be null below banner level'`,
  `COMMENT ON COLUMN admin_unit.point IS 'Seat or settlement point, WGS84'`,
  `COMMENT ON COLUMN admin_unit.synthetic IS 'True when the point or the population of this unit was generated, not sourced'`,
  `COMMENT ON COLUMN admin_unit.league_code IS 'Code of the enclosing league (self for a league); set by trigger from the parent'`,
  `COMMENT ON COLUMN admin_unit.banner_code IS 'Code of the enclosing banner (self for a banner); set by trigger'`,
  `COMMENT ON COLUMN admin_unit.township_code IS 'Code of the enclosing township (self for a township); set by trigger'`,
  `COMMENT ON TABLE facility IS 'Health institutions (one row each); never deleted, closed by status'`,
  `COMMENT ON COLUMN facility.type IS 'Facility type from the taxonomy (server/domain/taxonomy.ts)'`,
  `COMMENT ON COLUMN facility.central IS 'Township health centre is a 中心卫生院 (central) rather than an ordinary 一般卫生院'`,
  `COMMENT ON COLUMN facility.run_by_level IS 'Administrative level that runs the facility (旗县级 = banner, 盟市级 = league …)'`,
  `COMMENT ON COLUMN facility.grade IS 'Hospital grade: 3A (三级甲等), 3, 2A, 2, 1, ungraded'`,
  `COMMENT ON COLUMN facility.grade_level IS 'Numeric grade level (3, 2, 1, 0) so that 二级以上 is grade_level >= 2'`,
  `COMMENT ON COLUMN facility.unit_code IS 'Smallest admin unit the facility stands in'`,
  `COMMENT ON COLUMN facility.staff_doctors IS '执业医师 licensed doctors; per-capita doctor ratios use staff_doctors + staff_assistant_doctors'`,
  `COMMENT ON COLUMN facility.staff_assistant_doctors IS '执业助理医师 licensed assistant doctors'`,
  `COMMENT ON COLUMN facility.staff_nurses IS '注册护士 registered nurses'`,
  `COMMENT ON COLUMN facility.staff_gps IS '全科医生 general practitioners'`,
  `COMMENT ON COLUMN facility.staff_tcm_doctors IS '中医类别医师 TCM/Mongolian-medicine category doctors'`,
  `COMMENT ON COLUMN facility.staff_tcm_gps IS '中医类别全科医生 TCM-category general practitioners'`,
  `COMMENT ON COLUMN facility.staff_village_doctors IS '乡村医生 village doctors'`,
  `COMMENT ON COLUMN facility.staff_public_health IS '公共卫生人员 public-health staff'`,
  `COMMENT ON COLUMN facility.staff_supervisors IS '卫生监督员 health supervisors'`,
  `COMMENT ON COLUMN facility.staff_tcm_capable IS 'Medical workers able to provide TCM/MM services (004:28), for village clinics and stations'`,
  `COMMENT ON COLUMN facility.departments IS 'Departments and capabilities from the controlled list (server/domain/taxonomy.ts)'`,
  `COMMENT ON COLUMN facility.tcm_hall_level IS '中医馆（蒙医馆） level: standard, quality (优质型), demonstration (示范型); null = no hall'`,
  `COMMENT ON COLUMN facility.provides_deliveries IS 'Provides midwifery/delivery services (开展助产服务), for the neonatology rule'`,
  `COMMENT ON COLUMN facility.villages_served IS 'Codes of the administrative villages a (joint) village clinic serves'`,
  `COMMENT ON COLUMN facility.merged_into_id IS 'For a facility closed by a merge: the facility it was merged into'`,
  `COMMENT ON COLUMN facility.synthetic IS 'Generated facility (no public registry exists); shown as synthetic in UI and reports'`,
  `COMMENT ON COLUMN facility.version IS 'Optimistic-concurrency version; an update with a stale version is refused'`,
  `COMMENT ON TABLE population_cell IS 'Population grid: one point per populated cell; cells of a unit sum to its population'`,
  `COMMENT ON COLUMN population_cell.cell_key IS 'Stable key of the grid cell (grid name and cell indices)'`,
  `COMMENT ON COLUMN population_cell.unit_code IS 'Smallest admin unit the cell belongs to'`,
  `COMMENT ON TABLE rule_set IS 'Parameters of one planning question: target year, travel assumptions, adjacency distance, disabled rules'`,
  `COMMENT ON TABLE scenario IS 'A named, ordered change set on top of the baseline (never a copy of it)'`,
  `COMMENT ON TABLE scenario_change IS 'One change of a scenario, applied in seq order'`,
  `COMMENT ON TABLE audit_log IS 'Who changed what and when: registry edits, imports, rule-set and user changes'`,
  `COMMENT ON TABLE data_state IS 'Single row whose data_version is bumped by every edit or import (cache keys, tile ETags)'`,
];
