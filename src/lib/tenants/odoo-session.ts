import {OdooClient} from '../odoo/client.js'
import {hostTransport, type HttpTransport} from '../odoo/transport.js'
import type {SshConnection} from '../ssh/connection.js'

/**
 * An XML-RPC client of a tenant's Odoo service, reached on the host's loopback through
 * the SSH connection (the service listens on 127.0.0.1 only). A just-started service
 * needs a moment before it accepts connections, so the first call is retried.
 */
export async function withServiceClient<R>(conn: SshConnection, port: number, fn: (client: OdooClient) => Promise<R>, options: {waitMs?: number} = {}): Promise<R> {
  const transport: HttpTransport = await hostTransport(conn, {port})
  try {
    const client = new OdooClient(transport)
    const deadline = Date.now() + (options.waitMs ?? 60_000)
    for (;;) {
      try {
        await client.version()
        break
      } catch (error) {
        if (Date.now() > deadline) throw error
        await new Promise((r) => setTimeout(r, 500))
      }
    }
    return await fn(client)
  } finally {
    await transport.close().catch(() => {})
  }
}
