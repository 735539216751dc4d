/**
 * The one error handler. AppErrors and request-validation failures become 4xx
 * bodies that say, in English and Chinese, what to fix; database errors caused by
 * input (constraint violations) become 4xx too; everything else is logged and
 * answered with a masked 500. No stack trace or SQL ever reaches a client.
 */
import fp from 'fastify-plugin';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorDetail } from '../errors.ts';

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

const CONTEXT_ZH: Record<string, string> = {
  querystring: '查询参数',
  params: '路径参数',
  body: '请求体字段',
  headers: '请求头',
};

/** One validation error as a bilingual detail naming the parameter. */
export function describeValidationError(err: AjvError, context: string): ErrorDetail {
  const path = err.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const field =
    err.keyword === 'required'
      ? [path, String(err.params.missingProperty)].filter(Boolean).join('.')
      : err.keyword === 'additionalProperties'
        ? [path, String(err.params.additionalProperty)].filter(Boolean).join('.')
        : path || '(root)';
  const where = `${context === 'querystring' ? 'parameter' : context === 'body' ? 'body field' : context} '${field}'`;
  const whereZh = `${CONTEXT_ZH[context] ?? context} ${field}`;
  const p = err.params;
  switch (err.keyword) {
    case 'required':
      return { field, en: `${where} is required`, zh: `缺少${whereZh}` };
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String).join(', ');
      return { field, en: `${where} must be one of: ${allowed}`, zh: `${whereZh} 必须是以下之一：${allowed}`, allowed: p.allowedValues };
    }
    case 'type':
      return {
        field,
        en: `${where} must be ${p.type === 'integer' ? 'a whole number' : `of type ${String(p.type)}`}`,
        zh: `${whereZh} 必须是${p.type === 'integer' ? '整数' : p.type === 'number' ? '数字' : p.type === 'string' ? '文本' : p.type === 'boolean' ? '布尔值' : String(p.type)}`,
      };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return {
        field,
        en: `${where} must be ${String(p.comparison)} ${String(p.limit)}`,
        zh: `${whereZh} 必须 ${String(p.comparison).replace('<=', '≤').replace('>=', '≥')} ${String(p.limit)}`,
      };
    case 'minLength':
      return { field, en: `${where} must have at least ${String(p.limit)} character(s)`, zh: `${whereZh} 至少需要 ${String(p.limit)} 个字符` };
    case 'maxLength':
      return { field, en: `${where} must have at most ${String(p.limit)} characters`, zh: `${whereZh} 最多 ${String(p.limit)} 个字符` };
    case 'minItems':
      return { field, en: `${where} needs at least ${String(p.limit)} item(s)`, zh: `${whereZh} 至少需要 ${String(p.limit)} 项` };
    case 'maxItems':
      return { field, en: `${where} allows at most ${String(p.limit)} items`, zh: `${whereZh} 最多 ${String(p.limit)} 项` };
    case 'pattern':
      return { field, en: `${where} has the wrong format (expected pattern ${String(p.pattern)})`, zh: `${whereZh} 格式不正确（应符合 ${String(p.pattern)}）` };
    case 'const':
      return { field, en: `${where} must be ${JSON.stringify(p.allowedValue)}`, zh: `${whereZh} 必须为 ${JSON.stringify(p.allowedValue)}` };
    case 'additionalProperties':
      return { field, en: `${where} is not allowed`, zh: `不允许${whereZh}` };
    default:
      return { field, en: `${where} ${err.message ?? 'is invalid'}`, zh: `${whereZh} 无效（${err.message ?? err.keyword}）` };
  }
}

const PG_INPUT_ERRORS: Record<string, { status: number; en: string; zh: string }> = {
  '23505': { status: 409, en: 'A record with the same key already exists.', zh: '已存在相同编码的记录。' },
  '23503': { status: 400, en: 'The record refers to something that does not exist (check codes and ids).', zh: '引用的记录不存在（请检查代码或编号）。' },
  '23514': { status: 400, en: 'A value is outside what is allowed (e.g. a negative count or an unknown category).', zh: '某个取值超出允许范围（例如负数或未知类别）。' },
  '23502': { status: 400, en: 'A required value is missing.', zh: '缺少必填值。' },
  '22P02': { status: 400, en: 'A value has the wrong format.', zh: '某个取值格式不正确。' },
  '22003': { status: 400, en: 'A number is out of range.', zh: '数值超出范围。' },
  '22023': { status: 400, en: 'A geometry or parameter value is invalid.', zh: '几何或参数取值无效。' },
  XX000: { status: 400, en: 'A geometry could not be processed (check coordinates and rings).', zh: '无法处理几何图形（请检查坐标和环）。' },
};

const REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function sendError(
  reply: FastifyReply,
  statusCode: number,
  code: string,
  en: string,
  zh: string,
  details?: ErrorDetail[],
  extra?: Record<string, unknown>,
) {
  return reply.code(statusCode).type('application/json; charset=utf-8').send({
    statusCode,
    code,
    error: REASON[statusCode] ?? 'Error',
    message: en,
    messageZh: zh,
    ...(details && details.length > 0 ? { details } : {}),
    ...extra,
  });
}

export function handleError(error: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof AppError) {
    return sendError(reply, error.statusCode, error.code, error.messages.en, error.messages.zh, error.details, error.extra);
  }
  const fe = error as FastifyError & { validation?: AjvError[]; validationContext?: string; code?: string };
  if (fe.validation) {
    const context = fe.validationContext ?? 'request';
    const details = fe.validation.map((v) => describeValidationError(v, context));
    return sendError(
      reply,
      400,
      'ValidationFailed',
      `Invalid request: ${details.map((d) => d.en).join('; ')}`,
      `请求无效：${details.map((d) => d.zh).join('；')}`,
      details,
    );
  }
  const pgCode = (error as { code?: unknown }).code;
  if (typeof pgCode === 'string' && PG_INPUT_ERRORS[pgCode] && (error as { severity?: unknown }).severity) {
    const mapped = PG_INPUT_ERRORS[pgCode]!;
    request.log.warn({ err: error }, 'database rejected input');
    return sendError(reply, mapped.status, mapped.status === 409 ? 'Conflict' : 'InvalidBody', mapped.en, mapped.zh);
  }
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    switch (fe.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendError(reply, 413, 'PayloadTooLarge', `Request body too large: ${fe.message}`, '请求体过大，请减小文件或分批上传。');
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendError(reply, 415, 'UnsupportedMediaType', `Unsupported content type: ${fe.message}`, '不支持的内容类型（Content-Type）。');
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return sendError(reply, 400, 'InvalidBody', 'The JSON body is empty.', '请求体为空，请提供 JSON。');
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return sendError(reply, 400, 'InvalidBody', `The body is not valid JSON: ${fe.message}`, '请求体不是有效的 JSON。');
      default:
        if (status === 429) {
          return sendError(reply, 429, 'RateLimited', fe.message || 'Too many requests; try again later.', '请求过于频繁，请稍后再试。');
        }
        return sendError(reply, status, fe.code ?? 'InvalidBody', fe.message, `请求无效：${fe.message}`);
    }
  }
  request.log.error({ err: error }, 'unhandled error');
  return sendError(reply, 500, 'InternalError', 'Internal server error. The problem was logged.', '服务器内部错误，已记录。');
}

export default fp(
  async function errorsPlugin(app: FastifyInstance) {
    app.setErrorHandler(handleError);
    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0];
      return sendError(reply, 404, 'NotFound', `No route ${request.method} ${path}. See /api/docs for the API.`, `不存在的接口 ${request.method} ${path}，请查看 /api/docs。`);
    });
  },
  { name: 'errors' },
);
