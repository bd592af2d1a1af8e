export * from './local.js'
export * from './registry.js'
export * from './sftp.js'
export * from './target.js'
