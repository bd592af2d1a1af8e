/**
 * systemd units for the Odoo services odoops manages (the shared service of a series, or a
 * dedicated tenant). Same command line as the official package's odoo.service
 * (odoo/odoo debian/odoo.service), with its own config and log; restarted on failure;
 * `KillMode=mixed` lets Odoo's prefork master stop its workers on SIGTERM.
 */
export interface OdooUnitSpec {
  description: string
  config: string
  logFile: string
  user?: string
}

export function renderOdooUnit(spec: OdooUnitSpec): string {
  for (const value of [spec.description, spec.config, spec.logFile]) {
    if (/[\r\n]/.test(value)) throw new Error('unit values cannot contain line breaks')
  }
  const user = spec.user ?? 'odoo'
  return `# Managed by odoops: changes here are overwritten.
[Unit]
Description=${spec.description}
After=network.target postgresql.service
Wants=postgresql.service

[Service]
Type=simple
User=${user}
Group=${user}
ExecStart=/usr/bin/odoo --config ${spec.config} --logfile ${spec.logFile}
Restart=on-failure
RestartSec=5
KillMode=mixed
TimeoutStopSec=60

[Install]
WantedBy=multi-user.target
`
}
