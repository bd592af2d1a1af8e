export * from './records.js'
export * from './store.js'
export {parseStateLocation, openStore, redactUrl} from './open.js'
export type {StateLocation} from './open.js'
