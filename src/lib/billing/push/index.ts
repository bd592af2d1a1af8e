export {connectOdoo, JSON2_SINCE_MAJOR, type OdooConnection, type OdooTarget} from './connect.js'
export {pushInvoices, type PushOptions, type PushReport, type PushedInvoice, type PushedAmounts, InvoicePushMismatchError, lineEncoding} from './push.js'
export {OdooResolver, OdooTaxMissingError, productCode, type LinePrecision} from './resolve.js'
export {Json2Api, XmlRpcApi, type OdooApi, type Domain} from './api.js'
