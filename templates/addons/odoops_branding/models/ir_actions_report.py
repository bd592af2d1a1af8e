# Part of odoops_branding. License LGPL-3 (see __manifest__.py).
"""The company's logo on PDF reports printed by an unpatched wkhtmltopdf.

Odoo hands wkhtmltopdf each document's header (where the external layouts put the company's
logo) as --header-html. Only a wkhtmltopdf built "with patched qt" (wkhtmltox 0.12.6.1) honours
that switch; Debian's and Ubuntu's packages are built on the distribution's Qt and drop the header
without a word, so every invoice and quotation prints without the partner's logo. On such a host
this moves each document's header into the top of its page body, where every wkhtmltopdf prints
it. With a patched build nothing changes: Odoo's own header (repeated on every page) is used.
"""
import logging
import subprocess

import lxml.html

from odoo import models

_logger = logging.getLogger(__name__)

_CLASS = "contains(concat(' ', normalize-space(@class), ' '), ' %s ')"
_HEADERS = "//div[%s]" % (_CLASS % 'header')
_ARTICLE = "following-sibling::div[%s][1]" % (_CLASS % 'article')
# The page's top margin once the header is in the body: Odoo's paper formats reserve room
# (35 to 52 mm) for a header that an unpatched wkhtmltopdf leaves blank.
_INLINE_MARGIN_TOP_MM = '10'

_patched_qt = None


def wkhtmltopdf_has_patched_qt():
    """True when the host's wkhtmltopdf prints --header-html, or when that cannot be told."""
    global _patched_qt
    if _patched_qt is None:
        try:
            from odoo.addons.base.models import ir_actions_report as base_report
            if hasattr(base_report, '_wkhtml'):  # 19.0+: Odoo reads it once itself
                _patched_qt = bool(base_report._wkhtml().is_patched_qt)
            else:  # 17.0, 18.0
                out = subprocess.run([base_report._get_wkhtmltopdf_bin(), '--version'],
                                     capture_output=True, timeout=30, check=False).stdout
                _patched_qt = b'with patched qt' in out
        except Exception:  # noqa: BLE001 -- no wkhtmltopdf, or an Odoo we do not know: change nothing
            _logger.info('odoops_branding: cannot tell whether wkhtmltopdf has patched qt; reports unchanged')
            _patched_qt = True
        if not _patched_qt:
            _logger.info('odoops_branding: wkhtmltopdf without patched qt; report headers are printed in the page body')
    return _patched_qt


def inline_headers(html):
    """The report's HTML with each document's header moved into the top of its article."""
    root = lxml.html.fromstring(html, parser=lxml.html.HTMLParser(encoding='utf-8'))
    moved = 0
    for header in root.xpath(_HEADERS):
        articles = header.xpath(_ARTICLE)
        if not articles:
            continue  # not an external layout's header: left to Odoo
        header.getparent().remove(header)
        # Renamed, so that Odoo's own split (which looks for class "header") leaves it in the body.
        classes = [c for c in (header.get('class') or '').split() if c != 'header']
        header.set('class', ' '.join(['o_odoops_inline_header', *classes]))
        articles[0].insert(0, header)
        moved += 1
    if not moved:
        return html
    if root.get('data-report-margin-top') is None:
        root.set('data-report-margin-top', _INLINE_MARGIN_TOP_MM)
    return lxml.html.tostring(root, encoding='utf-8')


class IrActionsReport(models.Model):
    _inherit = 'ir.actions.report'

    def _prepare_html(self, html, report_model=False):
        # Only the PDF path calls _prepare_html (the HTML view of a report is left alone).
        if html and not wkhtmltopdf_has_patched_qt():
            html = inline_headers(html)
        return super()._prepare_html(html, report_model=report_model)
