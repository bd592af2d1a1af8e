/** @odoo-module **/
// Part of odoops_branding. License LGPL-3 (see __manifest__.py).
// The web client's title and user menu. The brand comes from the session info
// (models/ir_http.py), read when the client starts, so a new brand needs no asset rebuild.
import { registry } from "@web/core/registry";
import { patch } from "@web/core/utils/patch";
import { browser } from "@web/core/browser/browser";
import { session } from "@web/session";
import { WebClient } from "@web/webclient/webclient";
import { xml } from "@odoo/owl";
import { resConfigEdition } from "@web/webclient/settings_form_view/widgets/res_config_edition";

const brand = session.odoops_branding || {};

if (brand.name) {
    // Settings' About section: web's res_config_edition template (the same markup in 17.0,
    // 18.0 and 19.0, whose template names differ: "web.res_config_edition" in 17.0, plain
    // "res_config_edition" later, so no XML inheritance fits both) with one line added under
    // Odoo's own copyright and LGPL notice, which stay.
    patch(resConfigEdition.component.prototype, {
        setup() {
            super.setup(...arguments);
            this.odoopsBrand = brand;
        },
    });
    resConfigEdition.component.template = xml`
    <div>
        <Setting addLabel="false">
                <div class="user-heading">
                    <h3 class="px-0">
                        Odoo <t t-esc="serverVersion"/>
                        (Community Edition)
                    </h3>
                </div>
                <div>
                    <div class="tab-content">
                        <div role="tabpanel" id="settings" class="tab-pane active text-muted o_web_settings_compact_subtitle">
                            <small>Copyright © 2004 <a target="_blank" href="https://www.odoo.com" style="text-decoration: underline;">Odoo S.A.</a> <a id="license" target="_blank" href="http://www.gnu.org/licenses/lgpl.html" style="text-decoration: underline;">GNU LGPL Licensed</a></small>
                            <div class="o_odoops_branding_about">
                                <small>Provided by
                                    <a t-if="odoopsBrand.url" target="_blank" t-att-href="odoopsBrand.url" style="text-decoration: underline;" t-esc="odoopsBrand.name"/>
                                    <t t-else="" t-esc="odoopsBrand.name"/>
                                </small>
                            </div>
                        </div>
                    </div>
                </div>
        </Setting>
    </div>`;

    // 17.0 sets the part "zopenerp" to "Odoo"; 18.0 and 19.0 fall back to "Odoo" without parts.
    patch(WebClient.prototype, {
        setup() {
            super.setup(...arguments);
            this.title.setParts({ zopenerp: brand.name });
        },
    });

    const items = registry.category("user_menuitems");
    // Odoo.com entries: Documentation (17.0, 18.0), Help/Support, My Odoo.com account.
    for (const key of ["documentation", "support", "odoo_account"]) {
        if (items.contains(key)) {
            items.remove(key);
        }
    }
    const link = (id, description, url, sequence) => () => ({
        type: "item",
        id,
        description,
        href: url,
        callback: () => browser.open(url, "_blank"),
        sequence,
    });
    if (brand.documentation_url) {
        items.add("odoops_documentation", link("odoops_documentation", "Documentation", brand.documentation_url, 10));
    }
    if (brand.support_url) {
        items.add("odoops_support", link("odoops_support", "Support", brand.support_url, 20));
    }
}
