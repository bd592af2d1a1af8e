import {odooMajor} from '../series/odoo-series.js'
import {ACME_WEBROOT} from '../remote/acme.js'

/**
 * An nginx server block per tenant domain, following Odoo's deployment guide
 * (odoo/documentation administration/on_premise/deploy.rst, see ODOO-FACTS.md):
 * upstreams for the HTTP and gevent ports, the websocket route (`/longpolling` before
 * 16.0) with Upgrade headers, forwarded headers for proxy_mode, 720 s timeouts, HTTP
 * redirected to HTTPS and the database manager blocked at the proxy. Port 80 answers ACME
 * HTTP-01 challenges from the host's webroot before anything is redirected (docs/tls.md).
 */
export interface VhostSpec {
  slug: string
  domain: string
  /** More server names (the tenant's aliases). */
  aliases?: string[]
  series: string
  httpPort: number
  geventPort: number
  certificate: string
  certificateKey: string
}

export function vhostFileName(slug: string): string {
  return `odoops-${slug}.conf`
}

export function renderVhost(spec: VhostSpec): string {
  const upstream = `odoops_${spec.slug.replace(/-/g, '_')}`
  const realtime = odooMajor(spec.series) >= 16 ? '/websocket' : '/longpolling'
  const names = [spec.domain, ...(spec.aliases ?? [])].join(' ')
  return `# Managed by odoops for tenant ${spec.slug}: changes here are overwritten.
upstream ${upstream} {
  server 127.0.0.1:${spec.httpPort};
}
upstream ${upstream}_realtime {
  server 127.0.0.1:${spec.geventPort};
}

server {
  listen 80;
  listen [::]:80;
  server_name ${names};
  # ACME HTTP-01 challenges (certbot --webroot) are answered here, never redirected.
  location ^~ /.well-known/acme-challenge/ {
    root ${ACME_WEBROOT};
    default_type text/plain;
  }
  location / {
    return 301 https://$host$request_uri;
  }
}

server {
  listen 443 ssl;
  listen [::]:443 ssl;
  server_name ${names};

  ssl_certificate ${spec.certificate};
  ssl_certificate_key ${spec.certificateKey};
  ssl_protocols TLSv1.2 TLSv1.3;

  proxy_read_timeout 720s;
  proxy_connect_timeout 720s;
  proxy_send_timeout 720s;
  client_max_body_size 128m;

  # The database manager is never exposed (odoops backs up and restores over SSH).
  location ~ ^/web/database {
    return 403;
  }

  location ${realtime} {
    proxy_pass http://${upstream}_realtime;
    proxy_http_version 1.1;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $connection_upgrade;
    proxy_set_header X-Forwarded-Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Real-IP $remote_addr;
  }

  location / {
    proxy_pass http://${upstream};
    proxy_set_header X-Forwarded-Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Real-IP $remote_addr;
    proxy_redirect off;
  }

  gzip on;
  gzip_types text/css text/plain text/xml application/xml application/javascript application/json;
}
`
}

/** The file of a tenant's redirects of old names (a dot no slug has, so no tenant's vhost file is named so). */
export function redirectsFileName(slug: string): string {
  return `odoops-${slug}.redirects.conf`
}

export interface RedirectSpec {
  slug: string
  /** Where every old name points: the tenant's domain. */
  to: string
  /** Old names, each set with the certificate it was served with. */
  redirects: {names: string[]; certificate: string; key: string}[]
}

/**
 * The old names of a tenant (`tenant set-domain`): a 301 to the same path on its domain, on port
 * 80 (after the ACME challenge location, so the old lineage keeps renewing) and on 443 with the
 * old certificate.
 */
export function renderRedirectVhost(spec: RedirectSpec): string {
  const blocks = spec.redirects.map(
    (r) => `server {
  listen 80;
  listen [::]:80;
  server_name ${r.names.join(' ')};
  location ^~ /.well-known/acme-challenge/ {
    root ${ACME_WEBROOT};
    default_type text/plain;
  }
  location / {
    return 301 https://${spec.to}$request_uri;
  }
}

server {
  listen 443 ssl;
  listen [::]:443 ssl;
  server_name ${r.names.join(' ')};
  ssl_certificate ${r.certificate};
  ssl_certificate_key ${r.key};
  ssl_protocols TLSv1.2 TLSv1.3;
  location / {
    return 301 https://${spec.to}$request_uri;
  }
}
`,
  )
  return `# Managed by odoops for tenant ${spec.slug}: its old names, redirected to ${spec.to}.\n${blocks.join('\n')}`
}

/** Shared http-level snippet: the Connection header map the websocket route needs (one per host). */
export const CONNECTION_UPGRADE_MAP = `# Managed by odoops.
map $http_upgrade $connection_upgrade {
  default upgrade;
  ''      close;
}
`

export const DEFAULT_SERVER_FILE = 'odoops-default-tls.conf'

/**
 * A catch-all HTTPS server: a TLS handshake for a name no tenant has is refused, so a
 * mistyped or foreign Host never lands on whichever tenant's site nginx would otherwise
 * use as the default for port 443 (the first one loaded). `ssl_reject_handshake` needs
 * nginx 1.19.4 or later (nginx docs, ngx_http_ssl_module).
 */
export const DEFAULT_TLS_SERVER = `# Managed by odoops: TLS for names no tenant has is refused.
server {
  listen 443 ssl default_server;
  listen [::]:443 ssl default_server;
  ssl_reject_handshake on;
}
`

/** Whether `nginx -v` output ("nginx version: nginx/1.22.1") names a version with ssl_reject_handshake. */
export function supportsRejectHandshake(versionOutput: string): boolean {
  const match = /nginx\/(\d+)\.(\d+)\.(\d+)/.exec(versionOutput)
  if (!match) return false
  const [major, minor, patch] = match.slice(1).map(Number)
  return major > 1 || (major === 1 && (minor > 19 || (minor === 19 && patch >= 4)))
}
