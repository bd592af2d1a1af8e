import {OdoopsError, messageOf} from '../errors.js'

/**
 * Errors of the Odoo HTTP/XML-RPC layer. Each names what failed, against what, and the
 * fix. Secrets never appear here: callers register their passwords with registerSecret,
 * and no request body is ever quoted.
 */
export const ODOO_ERROR_CODES = [
  'ODOO_RPC_FAULT',
  'ODOO_ACCESS_DENIED',
  'ODOO_AUTH_FAILED',
  'ODOO_HTTP_ERROR',
  'ODOO_UNREACHABLE',
  'ODOO_TIMEOUT',
  'ODOO_RESPONSE_TOO_LARGE',
  'ODOO_TRANSPORT_CLOSED',
  'ODOO_UNEXPECTED_RESULT',
  'ODOO_JSON2_ERROR',
  'ODOO_JSON2_INVALID_RESPONSE',
  'ODOO_JSON2_POSITIONAL_ARGS',
  'ODOO_API_KEY_MISSING',
  'ODOO_PASSWORD_MISSING',
  'XMLRPC_INVALID_RESPONSE',
  'XMLRPC_UNSERIALIZABLE',
] as const
export type OdooErrorCode = (typeof ODOO_ERROR_CODES)[number]

/**
 * Odoo's fault codes on /xmlrpc/2 (odoo/service/wsgi_server.py xmlrpc_handle_exception_int):
 * 1 any other exception (faultString = the formatted traceback), 2 UserError/ValidationError/
 * RedirectWarning, 3 AccessDenied ("Access Denied": wrong login, password or uid), 4 AccessError.
 */
export const FAULT_ACCESS_DENIED = 3

const MAX_SUMMARY = 500

/**
 * A short, readable message for a fault. For a Python traceback it is the first line of the
 * exception line that follows the last frame (`KeyError: 'no.such.model'`), since
 * traceback.format_exception ends with "<Type>: <message>" after the "  File …" frames and
 * their indented source lines; for Odoo's own messages (codes 2-4) the text itself.
 */
export function faultSummary(faultString: string): string {
  const text = faultString.trim()
  if (text === '') return 'no fault message'
  if (/^Traceback \(most recent call last\):/m.test(text)) {
    const lines = text.split(/\r?\n/)
    let lastFrame = -1
    lines.forEach((line, index) => {
      if (/^\s+File "/.test(line)) lastFrame = index
    })
    const exceptionLine = lines.slice(lastFrame + 1).find((line) => line.trim() !== '' && !/^\s/.test(line))
    const summary = exceptionLine ?? lines.filter((line) => line.trim() !== '').at(-1) ?? text
    return clip(summary.trim())
  }
  return clip(text)
}

function clip(text: string): string {
  return text.length > MAX_SUMMARY ? text.slice(0, MAX_SUMMARY - 1) + '…' : text
}

/** An XML-RPC fault answered by Odoo. `faultString` keeps the whole text (a traceback for code 1). */
export class OdooRpcError extends OdoopsError {
  readonly faultCode: number | string
  readonly faultString: string
  /** What was called, e.g. `object.execute_kw res.users.search_read`, when known. */
  readonly call?: string

  constructor(faultCode: number | string, faultString: string, call?: string) {
    const denied = faultCode === FAULT_ACCESS_DENIED
    const summary = faultSummary(faultString)
    const where = call ? `Odoo refused ${call}` : 'Odoo answered with a fault'
    super(denied ? 'ODOO_ACCESS_DENIED' : 'ODOO_RPC_FAULT', `${where}: ${summary}`, {
      suggestions: denied
        ? ['Check the database, login and password (or API key): Odoo answers "Access Denied" when any of them is wrong or the password was changed.']
        : faultCode === 1
          ? ["The full traceback is in this error's faultString and in the Odoo server log on the host."]
          : [],
      data: {faultCode, fault: summary, ...(call ? {call} : {})},
    })
    this.name = 'OdooRpcError'
    this.faultCode = faultCode
    this.faultString = faultString
    this.call = call
  }
}

export function odooError(code: OdooErrorCode, message: string, suggestions: string[] = [], data: Record<string, unknown> = {}, cause?: unknown): OdoopsError {
  return new OdoopsError(code, message, {suggestions, data, cause})
}

/** Not XML-RPC: bad XML, an unexpected element, a value that does not parse. */
export function invalidResponse(detail: string, context?: string): OdoopsError {
  return odooError(
    'XMLRPC_INVALID_RESPONSE',
    `${context ? `The answer to ${context}` : 'The answer'} is not valid XML-RPC: ${detail}`,
    ['Check that the port (or the proxy in front of it) leads to Odoo: another server, or a proxy error page, gives this.'],
    {detail},
  )
}

/** A JavaScript value XML-RPC cannot carry (a programming error in the caller). */
export function unserializable(path: string, detail: string): OdoopsError {
  return odooError('XMLRPC_UNSERIALIZABLE', `Cannot send ${path} over XML-RPC: ${detail}`, [], {path})
}

export function wrapTransportError(error: unknown, target: string, what: string): OdoopsError {
  if (error instanceof OdoopsError) return error
  return odooError(
    'ODOO_UNREACHABLE',
    `Nothing answered ${what} at ${target}: ${messageOf(error)}`,
    ['Check that the Odoo service (or nginx in front of it) is running on the host and listens on that port: odoops tenant status'],
    {target},
    error,
  )
}
