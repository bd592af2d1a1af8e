export {OdooClient, type OdooClientOptions, type OdooSession, type OdooVersion} from './client.js'
export {FAULT_ACCESS_DENIED, ODOO_ERROR_CODES, OdooRpcError, faultSummary, type OdooErrorCode} from './errors.js'
export {JSON2_SIGNATURES, JSON2_SINCE_MAJOR, Json2Session, json2Call, json2Request, type Json2ErrorBody, type Json2Request, type Json2Target} from './json2.js'
export {checkPasswordLogin, detectOdooMajor, detectOdooVersion, openOdooSession, usesJson2, type OdooProtocol, type OdooSessionSpec, type ProtocolSession} from './session.js'
export {checkHealth, type HealthOptions, type HealthResult} from './health.js'
export {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_TIMEOUT_MS,
  hostTransport,
  urlTransport,
  type HostTransportOptions,
  type HttpRequestOptions,
  type HttpResponse,
  type HttpTransport,
  type TransportOptions,
} from './transport.js'
export {
  formatDateTime,
  parseMethodCall,
  parseMethodResponse,
  serializeFault,
  serializeMethodCall,
  serializeMethodResponse,
  serializeValue,
  type XmlRpcStruct,
  type XmlRpcValue,
} from './xmlrpc.js'
