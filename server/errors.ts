/**
 * Domain errors. Every error a client can cause is an AppError with a literal
 * `code`, an HTTP status and a message in English and Chinese that says what to
 * fix. The one error handler (server/plugins/errors.ts) turns them into
 * `{ statusCode, code, error, message, messageZh, details }`; anything else is a
 * 5xx whose message is never shown to the client.
 */

export type ErrorCode =
  | 'ValidationFailed'
  | 'InvalidBbox'
  | 'InvalidParameter'
  | 'InvalidUnitCode'
  | 'UnitNotFound'
  | 'FacilityNotFound'
  | 'NotFound'
  | 'VersionConflict'
  | 'Conflict'
  | 'PayloadTooLarge'
  | 'UnsupportedMediaType'
  | 'InvalidBody'
  | 'RuleSetNotFound'
  | 'RuleNotFound'
  | 'RuleSetReadOnly'
  | 'ScenariosUnavailable'
  | 'ImportInvalid'
  | 'ImportUnreadable'
  | 'InvalidLocation'
  | 'MethodNotAllowed'
  | 'Unauthorized'
  | 'Forbidden'
  | 'InvalidCredentials'
  | 'SessionExpired'
  | 'CsrfRejected'
  | 'OutOfScope'
  | 'PasswordChangeRequired'
  | 'WeakPassword'
  | 'UserNotFound'
  | 'TokenNotFound'
  | 'LastAdmin'
  | 'ScenarioNotFound'
  | 'InvalidChange'
  | 'RateLimited'
  | 'ServiceUnavailable'
  | 'InternalError';

export interface Bilingual {
  en: string;
  zh: string;
}

export interface ErrorDetail {
  /** Where: a parameter name, a body path, or `row 12 / 床位数`. */
  field?: string;
  value?: unknown;
  en: string;
  zh: string;
  [extra: string]: unknown;
}

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    readonly statusCode: number,
    readonly messages: Bilingual,
    readonly details?: ErrorDetail[],
    /** Extra top-level fields of the response body (e.g. currentVersion on a 409). */
    readonly extra?: Record<string, unknown>,
  ) {
    super(messages.en);
  }
}

export function badRequest(code: ErrorCode, en: string, zh: string, details?: ErrorDetail[]): AppError {
  return new AppError(code, 400, { en, zh }, details);
}

export function invalidParameter(name: string, en: string, zh: string, value?: unknown): AppError {
  return new AppError('InvalidParameter', 400, { en: `Parameter '${name}': ${en}`, zh: `参数 ${name}：${zh}` }, [
    { field: name, value, en, zh },
  ]);
}

export function unitNotFound(code: string): AppError {
  return new AppError('UnitNotFound', 404, {
    en: `No administrative unit with code ${code}. Check the code (6 digits for a league or banner, 9 for a township, 12 for a village).`,
    zh: `没有代码为 ${code} 的行政区划。请检查代码（盟市、旗县为 6 位，苏木乡镇为 9 位，嘎查村为 12 位）。`,
  });
}

export function facilityNotFound(id: string | number): AppError {
  return new AppError('FacilityNotFound', 404, {
    en: `No facility with id ${id}.`,
    zh: `没有编号为 ${id} 的医疗卫生机构。`,
  });
}

export function versionConflict(entity: string, currentVersion: number, given: number): AppError {
  return new AppError(
    'VersionConflict',
    409,
    {
      en: `This ${entity} was changed by someone else (your version ${given}, current version ${currentVersion}). Reload it and apply your change again.`,
      zh: `该${entity === 'scenario' ? '情景' : entity === 'facility' ? '机构' : '记录'}已被他人修改（您的版本 ${given}，当前版本 ${currentVersion}）。请刷新后重新修改。`,
    },
    undefined,
    { currentVersion },
  );
}
