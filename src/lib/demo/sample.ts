/**
 * The demo's sample customer: a Belgian wholesaler onboarded from the `distribution`
 * template. Fictional names; the domain uses the reserved `.example` name space.
 */
export const DEMO_TEMPLATE = 'distribution'

export const DEMO_ANSWERS: Record<string, unknown> = {
  company_name: 'Demo Wholesale Ltd',
  domain: 'demo-wholesale.example.test',
  country: 'BE',
  currency: 'EUR',
  language: 'en_US',
  second_language: 'fr_BE',
  admin_email: 'owner@demo-wholesale.example.test',
  vat: 'BE0477472701',
  welcome_note: 'Welcome to your new Odoo, set up by odoops.',
  users: [
    {name: 'Sam Sales', login: 'sam@demo-wholesale.example.test', role: 'sales'},
    {name: 'Pat Purchase', login: 'pat@demo-wholesale.example.test', role: 'purchase'},
    {name: 'Wes Warehouse', login: 'wes@demo-wholesale.example.test', role: 'warehouse'},
  ],
}
