import {expect} from 'chai'
import {scanDatabase, scanMail, scanPage, scanSessionInfo} from '../../src/lib/branding/scan.js'

/** /web/login as Odoo 17.0–19.0 render it (web.layout, web.login_layout), trimmed. */
const ODOO_LOGIN = `<!DOCTYPE html>
<html style="height: 100%;">
    <head>
        <meta charset="utf-8"/>
        <title>Odoo</title>
        <link type="image/x-icon" rel="shortcut icon" href="/web/static/img/favicon.ico"/>
    </head>
    <body class="bg-100">
        <div class="text-center small mt-4 pt-3 border-top">
            <a class="border-end pe-2 me-1" href="/web/database/manager">Manage Databases</a>
            <a href="https://www.odoo.com?utm_source=db&amp;utm_medium=auth" target="_blank">Powered by <span>Odoo</span></a>
        </div>
    </body>
</html>`

/** The same page with odoops_branding and a brand. */
const BRANDED_LOGIN = `<!DOCTYPE html>
<html style="height: 100%;">
    <head>
        <title>Acme IT</title>
        <link type="image/x-icon" rel="shortcut icon" href="data:image/png;base64,iVBORw0KGgo="/>
    </head>
    <body class="bg-100">
        <div class="text-center small mt-4 pt-3 border-top">
                <a class="o_odoops_brand" href="https://acme-it.example" target="_blank">Powered by <span>Acme IT</span></a>
        </div>
    </body>
</html>`

/** The footer of mail.mail_notification_layout (17.0) as rendered. */
const ODOO_MAIL = `<div style="color: #555555; font-size:11px;">
    Powered by <a target="_blank" href="https://www.odoo.com?utm_source=db&amp;utm_medium=email" style="color: #875A7B;">Odoo</a>
    <span id="mail_unfollow">| <a href="/mail/unfollow" style="text-decoration:none; color:#555555;">Unfollow</a></span>
</div>`

describe('branding check: finding Odoo in pages and e-mails', () => {
  it("lists the title, favicon, 'Powered by Odoo' and the database manager of Odoo's own login page", () => {
    expect(scanPage('login', ODOO_LOGIN)).to.deep.equal([
      {where: 'login:title', text: '<title>Odoo</title>'},
      {where: 'login:favicon', text: '<link type="image/x-icon" rel="shortcut icon" href="/web/static/img/favicon.ico"/>'},
      {where: 'login:powered-by', text: 'Powered by <span>Odoo</span></a>'},
      {where: 'login:database-manager', text: '<a class="border-end pe-2 me-1" href="/web/database/manager">Manage Databases</a>'},
    ])
  })

  it('finds nothing on a branded login page', () => {
    expect(scanPage('login', BRANDED_LOGIN)).to.deep.equal([])
  })

  it('a page title that names Odoo among other words still counts; a missing title is reported', () => {
    expect(scanPage('login', '<title>Login | Odoo</title>').map((p) => p.where)).to.deep.equal(['login:title'])
    expect(scanPage('login', '<html></html>')).to.deep.equal([{where: 'login:title', text: 'no <title>'}])
  })

  it("finds 'Powered by Odoo' in an e-mail footer, and a bare odoo.com link when there is no such footer", () => {
    expect(scanMail(ODOO_MAIL)).to.deep.equal([{where: 'mail:powered-by', text: 'Powered by <a target="_blank" href="https://www.odoo.com?utm_source=db&amp;utm_medium=email" style="color: #875A7B;">Odoo</a>'}])
    expect(scanMail('<p>See <a href="https://www.odoo.com/page">this</a></p>')).to.deep.equal([{where: 'mail:odoo-link', text: '<a href="https://www.odoo.com/page">'}])
    expect(scanMail(ODOO_MAIL.replace('https://www.odoo.com?utm_source=db&amp;utm_medium=email', 'https://acme-it.example').replace('>Odoo<', '>Acme IT<'))).to.deep.equal([])
  })

  it('reports the web client as Odoo-branded without the module or without a name', () => {
    expect(scanDatabase({installed: false}).map((p) => p.where)).to.deep.equal(['webclient'])
    expect(scanDatabase({installed: true, name: null})[0].text).to.match(/odoops_branding.name is not set/)
    expect(scanDatabase({installed: true, name: 'Acme IT'})).to.deep.equal([])
  })

  it("reads the web client's session info: the brand it starts with and Odoo's support link", () => {
    expect(scanSessionInfo({uid: 2, support_url: 'https://www.odoo.com/buy'})).to.deep.equal([
      {where: 'webclient:session-info', text: "no odoops_branding brand in the session info: the web client starts with Odoo's title and user menu"},
      {where: 'webclient:support-url', text: 'https://www.odoo.com/buy'},
    ])
    expect(scanSessionInfo({odoops_branding: {name: 'Acme IT'}, support_url: 'https://acme-it.example/support'})).to.deep.equal([])
    expect(scanSessionInfo({odoops_branding: {}, support_url: 'https://notodoo.com.example/'}).map((p) => p.where)).to.deep.equal(['webclient:session-info'])
  })
})
