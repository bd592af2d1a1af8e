import {expect} from 'chai'
import {
  checkModuleVersion,
  ManifestShapeError,
  ManifestSyntaxError,
  MAX_MANIFEST_CHARS,
  MAX_NESTING,
  parsePythonLiteral,
  readManifest,
  type AddonManifest,
  type PythonValue,
} from '../../src/lib/addons/manifest.js'

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  return expect.fail('expected an error')
}

function syntaxError(text: string, parse: (text: string) => unknown = parsePythonLiteral): ManifestSyntaxError {
  const error = thrown(() => parse(text))
  expect(error).to.be.instanceOf(ManifestSyntaxError)
  return error as ManifestSyntaxError
}

const OCA_STOCK_REQUEST = `# Copyright 2017-2020 ForgeFlow S.L. (https://www.forgeflow.com)
# Copyright 2021 Tecnativa - Víctor Martínez
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl.html).

{
    "name": "Stock Request",
    "summary": "Internal request for stock",
    "version": "17.0.1.2.0",
    "license": "LGPL-3",
    "website": "https://github.com/OCA/stock-logistics-request",
    "author": "ForgeFlow, Odoo Community Association (OCA)",
    "category": "Warehouse Management",
    "depends": ["stock", "product"],
    "data": [
        "security/stock_request_security.xml",
        "security/ir.model.access.csv",
        "views/stock_request_views.xml",
    ],
    "demo": ["demo/stock_request_demo.xml"],
    "installable": True,
    "application": True,
}
`

// Author split over adjacent literals, external dependencies and nested assets, as OCA writes them.
const OCA_REPORT_XLSX = `# Copyright 2015 ACSONE SA/NV (<http://acsone.eu>)
# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl.html).
{
    "name": "Base report xlsx",
    "summary": "Base module to create xlsx report",
    "author": "ACSONE SA/NV," "Creu Blanca," "Odoo Community Association (OCA)",
    "website": "https://github.com/OCA/reporting-engine",
    "category": "Reporting",
    "version": "17.0.1.1.1",
    "development_status": "Mature",
    "license": "AGPL-3",
    "external_dependencies": {"python": ["xlsxwriter", "xlrd"], "bin": []},
    "depends": ["base", "web"],
    "demo": ["demo/report.xml"],
    "assets": {
        "web.assets_backend": [
            "report_xlsx/static/src/js/report/action_manager_report.esm.js",
        ],
    },
    "installable": True,
}
`

const CORE_SALE = `# -*- coding: utf-8 -*-
# Part of Odoo. See LICENSE file for full copyright and licensing details.

{
    'name': 'Sales',
    'version': '1.2',
    'category': 'Sales/Sales',
    'summary': 'Sales internal machinery',
    'description': """
This module contains all the common features of Sales Management and eCommerce.
It's "the" module: 'sale_management' builds on it.
    """,
    'depends': ['sales_team', 'account_payment', 'utm'],
    'data': [
        'security/ir.model.access.csv',
        'views/sale_order_views.xml',
    ],
    'assets': {
        'web.assets_backend': [
            'sale/static/src/**/*',
            ('remove', 'sale/static/src/scss/sale_report.scss'),
        ],
    },
    'installable': True,
    'auto_install': False,
    'license': 'LGPL-3',
}
`

const CORE_SALE_STOCK = `# -*- coding: utf-8 -*-
# Part of Odoo. See LICENSE file for full copyright and licensing details.

{
    'name': 'Sales and Warehouse Management',
    'category': 'Hidden',
    'summary': 'Quotation, Sales Orders, Delivery & Invoicing Control',
    'description': """
Manage sales quotations and orders
==================================

This module makes the link between the sales and warehouses management applications.
""",
    'depends': ['sale', 'stock_account'],
    'data': ['security/sale_stock_security.xml'],
    'installable': True,
    'auto_install': True,
    'license': 'LGPL-3',
}
`

describe('addon manifests', () => {
  describe('parsePythonLiteral accepts what ast.literal_eval accepts', () => {
    const cases: Array<[string, string, PythonValue]> = [
      ['an empty dict', '{}', {}],
      ['a dict with a trailing comma', "{'a': 1,}", {a: 1}],
      ['a list with a trailing comma', '[1, 2, 3,]', [1, 2, 3]],
      ['an empty list', '[]', []],
      ['an empty tuple, as an array', '()', []],
      ['a one-element tuple', '(1,)', [1]],
      ['parentheses without a comma: the value itself', '(1)', 1],
      ['a tuple with a trailing comma', "('a', 2,)", ['a', 2]],
      ['nested tuples and lists', '((1, 2), [3, (4,)])', [[1, 2], [3, [4]]]],
      ['nested dicts', "{'a': {'b': {'c': [None]}}}", {a: {b: {c: [null]}}}],
      ['True, False, None', '[True, False, None]', [true, false, null]],
      ['single and double quotes', `['a', "b"]`, ['a', 'b']],
      ['a quote of the other kind inside', `["it's", 'say "hi"']`, ["it's", 'say "hi"']],
      ['triple-quoted strings with quotes and newlines inside', `['''it's "x"\nline 2''', """a 'b' "c" d"""]`, [`it's "x"\nline 2`, `a 'b' "c" d`]],
      ['triple-quoted string ending in an escaped quote', String.raw`"""a\""""`, 'a"'],
      ['the common escapes', String.raw`'a\nb\tc\\d\'e\"f\rg'`, 'a\nb\tc\\d\'e"f\rg'],
      ['\\a \\b \\f \\v', String.raw`'\a\b\f\v'`, '\x07\b\f\v'],
      ['hexadecimal and Unicode escapes', String.raw`'\x41\u00e9\U0001F600'`, 'Aé😀'],
      ['octal escapes', String.raw`'\101\0\7'`, 'A\0\x07'],
      ['an unknown escape is kept as written', String.raw`'\d+'`, '\\d+'],
      ['a backslash-newline inside a string joins the lines', "'ab\\\ncd'", 'abcd'],
      ['raw strings keep backslashes', String.raw`[r'\d+\n', R"a\b"]`, ['\\d+\\n', 'a\\b']],
      ['a raw string with an escaped quote', String.raw`r'a\'b'`, "a\\'b"],
      ['u and U prefixes', `[u'é', U"x"]`, ['é', 'x']],
      ['adjacent strings are concatenated', `'a' "b" '''c'''`, 'abc'],
      ['adjacent strings across lines and comments inside brackets', `('a'  # first\n 'b'\n\n "c")`, 'abc'],
      ['a concatenation inside a list', `['a' 'b', 'c']`, ['ab', 'c']],
      ['non-ASCII text', `{'name': 'Contabilidad – España 🇪🇸'}`, {name: 'Contabilidad – España 🇪🇸'}],
      ['integers with underscores', '1_000_000', 1_000_000],
      ['a negative integer', '-5', -5],
      ['a minus separated from its number', '[- 5, -\n 6]', [-5, -6]],
      ['hexadecimal, octal and binary integers', '[0x1F, 0X1f, 0o17, 0b101, -0x10]', [31, 31, 15, 5, -16]],
      ['zero written with several zeros', '[0, 00, 0_0]', [0, 0, 0]],
      ['the largest exact integer', '9007199254740991', Number.MAX_SAFE_INTEGER],
      ['floats', '[1.5, .5, 1., 1e3, -2.5e-3, 1_0.5, 007.5]', [1.5, 0.5, 1, 1000, -0.0025, 10.5, 7.5]],
      ['comments wherever whitespace may be', "{ # c\n 'a' # c\n : # c\n 1 # c\n , # c\n }  # c", {a: 1}],
      ['a backslash line continuation', "{'a': \\\n 1}", {a: 1}],
      ['Windows line ends', "{\r\n  'a': '''x\r\ny''',\r\n}\r\n", {a: 'x\ny'}],
      ['leading comments, blank lines and spaces on the first line', '# -*- coding: utf-8 -*-\n\n# hi\n{}\n\n# bye\n', {}],
      ['spaces before the value on the first line', '  \t{}', {}],
      ['a value in parentheses', "({'a': 1})", {a: 1}],
      ['a duplicate key keeps the last value, as Python does', "{'a': 1, 'a': 2}", {a: 2}],
      ['a dict spread over lines with a tab and a form feed', "{\n\t'a':\f1\n}", {a: 1}],
      ['a string at the top level', "'x'", 'x'],
    ]
    for (const [title, text, expected] of cases) {
      it(title, () => {
        expect(parsePythonLiteral(text)).to.deep.equal(expected)
      })
    }

    it('a __proto__ key is a plain key and does not change the prototype', () => {
      const value = parsePythonLiteral("{'__proto__': {'polluted': True}, 'constructor': 1}") as Record<string, PythonValue>
      expect(Object.getPrototypeOf(value)).to.equal(Object.prototype)
      expect(Object.hasOwn(value, '__proto__')).to.equal(true)
      expect(Object.keys(value)).to.deep.equal(['__proto__', 'constructor'])
      expect((value as {polluted?: unknown}).polluted).to.equal(undefined)
      expect(({} as {polluted?: unknown}).polluted).to.equal(undefined)
    })

    it(`accepts ${MAX_NESTING} nested containers`, () => {
      let value = parsePythonLiteral('['.repeat(MAX_NESTING) + ']'.repeat(MAX_NESTING))
      let depth = 0
      while (Array.isArray(value)) {
        depth++
        value = value[0]
      }
      expect(depth).to.equal(MAX_NESTING)
    })

    it('reads a large input in one pass (100 000 list items just under the size limit)', () => {
      const text = `{'data': [${"'v/x.xml',".repeat(100_000)}]}`
      expect(text.length).to.be.within(MAX_MANIFEST_CHARS - 100_000, MAX_MANIFEST_CHARS)
      const value = parsePythonLiteral(text) as {data: string[]}
      expect(value.data.length).to.equal(100_000)
      expect(value.data[99_999]).to.equal('v/x.xml')
    })
  })

  describe('parsePythonLiteral refuses everything else, naming the line and column', () => {
    const cases: Array<[string, string, string]> = [
      ['a call, by its name', "{'a': open('x').read()}", 'line 1, column 7: a name (open) is not a Python literal'],
      ['__import__', "__import__('os').system('id')", 'line 1, column 1: a name (__import__) is not a Python literal'],
      ['a name', "{\n  'name': 'x',\n  'depends': base,\n}", 'line 3, column 14: a name (base) is not a Python literal'],
      ['a non-ASCII name', "{'a': é}", 'line 1, column 7: a name (é) is not a Python literal'],
      ['a call after a value', "{'a': 'x'('y')}", 'line 1, column 10: a call is not a Python literal'],
      ['attribute access', "{'a': 'x'.upper()}", 'line 1, column 10: attribute access (.) is not a Python literal'],
      ['a subscript', "{'a': [1][0]}", 'line 1, column 10: a subscript ([…]) is not a Python literal'],
      ['an f-string', "{'a': f'x{y}'}", 'line 1, column 7: an f-string is not a Python literal'],
      ['an rf-string', "{'a': rF'x'}", 'line 1, column 7: an f-string is not a Python literal'],
      ['a bytes literal', "{'a': b'x'}", "line 1, column 7: a bytes literal (b'…') is not accepted in a manifest"],
      ['a raw bytes literal', "{'a': Rb'x'}", "line 1, column 7: a bytes literal (b'…') is not accepted in a manifest"],
      ['a binary operator', "{'a': 1+1}", 'line 1, column 8: an operator (+) is not allowed in a Python literal'],
      ['string concatenation with +', "{'a': 'x' + 'y'}", 'line 1, column 11: an operator (+) is not allowed in a Python literal'],
      ['a comparison', "{'a': 1 == 1}", 'line 1, column 9: an operator (==) is not allowed in a Python literal'],
      ['a unary plus', "{'a': +1}", "line 1, column 7: an operator (+) is not allowed in a Python literal"],
      ['a double minus', "{'a': --1}", 'line 1, column 7: a minus sign is allowed only directly before a number'],
      ['a minus before a boolean', "{'a': -True}", 'line 1, column 7: a minus sign is allowed only directly before a number'],
      ['a lambda', "{'a': lambda: 1}", 'line 1, column 7: a lambda is not a Python literal'],
      ['a comprehension', '[1 for x in y]', 'line 1, column 4: a comprehension (for) is not a Python literal'],
      ['a conditional expression', '[1 if 1 else 2]', 'line 1, column 4: a conditional expression (if) is not a Python literal'],
      ['a boolean operator', "{'a': True and False}", 'line 1, column 12: a boolean operator (and) is not a Python literal'],
      ['unpacking', "{**{'a': 1}}", 'line 1, column 2: unpacking or an operator (**) is not a Python literal'],
      ['a set', "{'a', 'b'}", 'line 1, column 5: a set is not accepted (only dicts, lists and tuples)'],
      ['a one-element set', "{'a'}", 'line 1, column 5: a set is not accepted (only dicts, lists and tuples)'],
      ['a dict key that is not a string', "{1: 'a'}", 'line 1, column 2: a dict key must be a string, not a number'],
      ['a tuple key', "{(1, 2): 'a'}", 'line 1, column 2: a dict key must be a string, not a list or tuple'],
      ['a complex number', "{'a': 1j}", 'line 1, column 7: a complex number is not accepted in a manifest'],
      ['leading zeros', "{'a': 007}", 'line 1, column 7: leading zeros are not allowed in the integer 007'],
      ['an integer too large to be exact', '12345678901234567890', 'line 1, column 1: the integer 12345678901234567890 is too large'],
      ['a malformed number', "{'a': 1e}", 'line 1, column 7: invalid number 1e'],
      ['a malformed underscore', "{'a': 1__0}", 'line 1, column 7: invalid number 1_'],
      ['a \\N{…} escape', String.raw`{'a': 'x\N{EM DASH}'}`, 'line 1, column 9: the escape \\N{…} is not supported: write the character itself'],
      ['a short \\x escape', String.raw`{'a': '\x4'}`, 'line 1, column 8: the escape \\x needs 2 hexadecimal digits'],
      ['a \\U escape beyond Unicode', String.raw`'\U00110000'`, 'line 1, column 2: the escape \\U00110000 is not a Unicode character'],
      ['two statements on two lines', "{'a': 1}\nimport os", 'line 2, column 1: a second statement follows the value that starts at line 1: only comments may follow it'],
      ['two statements on one line', "{'a': 1}; import os", 'line 1, column 9: a second statement (;) is not allowed: only comments may follow the value'],
      ['two dicts', '{} {}', "line 1, column 4: unexpected '{' after the value"],
      [
        'a module docstring before the dict',
        '"""Module docstring."""\n{\'name\': \'x\'}',
        'line 2, column 1: a second statement follows the value that starts at line 1: only comments may follow it (a docstring before the dict is not accepted: Odoo reads the manifest with ast.literal_eval, which refuses it too)',
      ],
      ['an unterminated string, at its opening', "{\n  'name': 'x',\n  'summary': 'oops,\n}", 'line 3, column 14: unterminated string (not closed before the end of its line)'],
      ['an unterminated triple-quoted string', "{\n  'description': '''\nabc\n}", 'line 2, column 18: unterminated triple-quoted string (not closed before the end of the text)'],
      ['a string ending in a backslash', "'abc\\", 'line 1, column 1: unterminated string (not closed before the end of its line)'],
      ['an unclosed dict', "{'a': 1", "line 1, column 8: the text ends where ',' or '}' should be"],
      ['a missing comma', "['a' 1]", "line 1, column 6: unexpected number where ',' or ']' should be"],
      ['a missing colon', "{'a' 1}", "line 1, column 6: unexpected number where ':' should be"],
      ['a double comma', "{'a': 1,,}", "line 1, column 9: unexpected ',' where a value should be"],
      ['a closing bracket of the wrong kind', '[1)', "line 1, column 3: unexpected ')' where ',' or ']' should be"],
      ['an empty text', '', 'line 1, column 1: the text ends where a value should be'],
      ['only comments', '# -*- coding: utf-8 -*-\n# nothing\n', 'line 3, column 1: the text ends where a value should be'],
      ['a value indented on a later line (an IndentationError in Python)', '# c\n  {}', 'line 2, column 3: unexpected indent: the value must start its line'],
      ['a byte order mark', '\uFEFF{}', 'line 1, column 1: unexpected character U+FEFF'],
      ['a stray character', "{'a': $}", "line 1, column 7: unexpected character '$'"],
      ['a backslash that does not end the line', "{'a': \\ 1}", 'line 1, column 7: a backslash outside a string must end the line'],
      ['a line continuation at the end of the text', '{}\\\n', 'line 1, column 3: the text ends after a line continuation (\\)'],
      ['a position after Windows line ends', "{\r\n 'a':\r\n x}", 'line 3, column 2: a name (x) is not a Python literal'],
      ['a position after a multi-line string', "{'a': '''1\n2\n3''', 'b': x}", 'line 3, column 12: a name (x) is not a Python literal'],
    ]
    for (const [title, text, message] of cases) {
      it(title, () => {
        expect(syntaxError(text).message).to.equal(message)
      })
    }

    it('gives the position and the reason as properties', () => {
      const error = syntaxError("{\n  'data': [\n    open('x'),\n  ],\n}")
      expect([error.line, error.column, error.reason]).to.deep.equal([3, 5, 'a name (open) is not a Python literal'])
      expect(error.name).to.equal('ManifestSyntaxError')
    })

    it('refuses a depth bomb of 10 000 nested lists without overflowing the stack', () => {
      const error = syntaxError('['.repeat(10_000) + ']'.repeat(10_000))
      expect(error.message).to.equal(`line 1, column ${MAX_NESTING + 1}: the value nests deeper than ${MAX_NESTING} levels`)
    })

    it('counts parentheses and dicts in the depth too', () => {
      const error = syntaxError("{'a': " + '({'.repeat(40) + '1')
      expect(error.message).to.equal(`line 1, column ${6 + MAX_NESTING}: the value nests deeper than ${MAX_NESTING} levels`)
    })

    it('refuses a 2 MB input before reading it', () => {
      const error = syntaxError(`{'a': '${'x'.repeat(2 * 1024 * 1024)}'}`)
      expect(error.message).to.equal(`line 1, column 1: the text is larger than ${MAX_MANIFEST_CHARS} characters`)
    })
  })

  describe('readManifest', () => {
    const defaults: AddonManifest = {
      name: '',
      license: 'LGPL-3',
      licenseDefaulted: true,
      depends: [],
      installable: true,
      autoInstall: false,
      application: false,
      externalPython: [],
      externalBin: [],
    }
    const cases: Array<[string, string, AddonManifest]> = [
      [
        'an OCA manifest with a copyright header',
        OCA_STOCK_REQUEST,
        {
          name: 'Stock Request',
          version: '17.0.1.2.0',
          license: 'LGPL-3',
          licenseDefaulted: false,
          depends: ['stock', 'product'],
          installable: true,
          autoInstall: false,
          application: true,
          externalPython: [],
          externalBin: [],
          summary: 'Internal request for stock',
          author: 'ForgeFlow, Odoo Community Association (OCA)',
        },
      ],
      [
        'an OCA manifest with external dependencies and a concatenated author',
        OCA_REPORT_XLSX,
        {
          name: 'Base report xlsx',
          version: '17.0.1.1.1',
          license: 'AGPL-3',
          licenseDefaulted: false,
          depends: ['base', 'web'],
          installable: true,
          autoInstall: false,
          application: false,
          externalPython: ['xlsxwriter', 'xlrd'],
          externalBin: [],
          summary: 'Base module to create xlsx report',
          author: 'ACSONE SA/NV,Creu Blanca,Odoo Community Association (OCA)',
        },
      ],
      [
        'an Odoo core manifest with a triple-quoted description and asset tuples',
        CORE_SALE,
        {
          name: 'Sales',
          version: '1.2',
          license: 'LGPL-3',
          licenseDefaulted: false,
          depends: ['sales_team', 'account_payment', 'utm'],
          installable: true,
          autoInstall: false,
          application: false,
          externalPython: [],
          externalBin: [],
          summary: 'Sales internal machinery',
        },
      ],
      [
        'an Odoo core manifest with auto_install True and no version',
        CORE_SALE_STOCK,
        {
          name: 'Sales and Warehouse Management',
          license: 'LGPL-3',
          licenseDefaulted: false,
          depends: ['sale', 'stock_account'],
          installable: true,
          autoInstall: true,
          application: false,
          externalPython: [],
          externalBin: [],
          summary: 'Quotation, Sales Orders, Delivery & Invoicing Control',
        },
      ],
      ['Odoo\'s defaults for an empty manifest', '{}', defaults],
      ['the license defaulted when absent', "{'name': 'X'}", {...defaults, name: 'X'}],
      ['the license defaulted when empty, as Odoo does', "{'name': 'X', 'license': ''}", {...defaults, name: 'X'}],
      ['installable False', "{'installable': False}", {...defaults, installable: false}],
      ['auto_install as a list of dependencies', "{'depends': ['sale', 'stock'], 'auto_install': ['sale']}", {...defaults, depends: ['sale', 'stock'], autoInstall: ['sale']}],
      ['auto_install as an empty list (always installed)', "{'auto_install': []}", {...defaults, autoInstall: []}],
      ['depends written as a tuple', "{'depends': ('base', 'web')}", {...defaults, depends: ['base', 'web']}],
      ['external binaries', "{'external_dependencies': {'bin': ['wkhtmltopdf']}}", {...defaults, externalBin: ['wkhtmltopdf']}],
      ['external_dependencies None, as no dependencies', "{'external_dependencies': None}", defaults],
      ['external_dependencies [], the old default, as no dependencies', "{'external_dependencies': []}", defaults],
      ['keys Odoo ignores here', "{'name': 'X', 'sequence': 5, 'images': ['a.png'], 'price': 9.99, 'currency': 'EUR'}", {...defaults, name: 'X'}],
    ]
    for (const [title, text, expected] of cases) {
      it(title, () => {
        expect(readManifest(text)).to.deep.equal(expected)
      })
    }

    it('reads the triple-quoted description exactly (for whoever needs more keys)', () => {
      const value = parsePythonLiteral(CORE_SALE) as Record<string, PythonValue>
      expect(value.description).to.equal("\nThis module contains all the common features of Sales Management and eCommerce.\nIt's \"the\" module: 'sale_management' builds on it.\n    ")
      expect(value.assets).to.deep.equal({'web.assets_backend': ['sale/static/src/**/*', ['remove', 'sale/static/src/scss/sale_report.scss']]})
    })

    const shapeErrors: Array<[string, string, string, string]> = [
      ['depends as a string', "{'depends': 'base'}", 'depends', "'depends' must be a list of strings, not a string"],
      ['depends holding a number', "{'depends': ['base', 1]}", 'depends', "'depends' must be a list of strings; it holds a number"],
      ['installable as a string', "{'installable': 'yes'}", 'installable', "'installable' must be True or False, not a string"],
      ['application as None', "{'application': None}", 'application', "'application' must be True or False, not None"],
      ['version as a float', "{'version': 1.0}", 'version', "'version' must be a string, not a number"],
      ['name as a list', "{'name': ['X']}", 'name', "'name' must be a string, not a list or tuple"],
      ['license as a number', "{'license': 3}", 'license', "'license' must be a string, not a number"],
      ['external_dependencies as a list of names', "{'external_dependencies': ['xlrd']}", 'external_dependencies', "'external_dependencies' must be a dict, not a list or tuple"],
      ['external python as a string', "{'external_dependencies': {'python': 'xlrd'}}", 'external_dependencies.python', "'external_dependencies.python' must be a list of strings, not a string"],
      ['external bin holding a dict', "{'external_dependencies': {'bin': [{}]}}", 'external_dependencies.bin', "'external_dependencies.bin' must be a list of strings; it holds a dict"],
      ['auto_install as a string', "{'auto_install': 'sale'}", 'auto_install', "'auto_install' must be True, False or a list of module names, not a string"],
      ['auto_install naming a module outside depends', "{'depends': ['sale'], 'auto_install': ['sale', 'stock', 'mrp']}", 'auto_install', "'auto_install' names modules that are not in 'depends': stock, mrp"],
    ]
    for (const [title, text, key, message] of shapeErrors) {
      it(`refuses ${title}, naming the key`, () => {
        const error = thrown(() => readManifest(text))
        expect(error).to.be.instanceOf(ManifestShapeError)
        expect((error as ManifestShapeError).key).to.equal(key)
        expect((error as ManifestShapeError).message).to.equal(message)
      })
    }

    const notDicts: Array<[string, string]> = [
      ["['name', 'X']", 'line 1, column 1: a manifest is a dict ({…}), not a list or tuple'],
      ["# header\n'X'", 'line 2, column 1: a manifest is a dict ({…}), not a string'],
      ['None', 'line 1, column 1: a manifest is a dict ({…}), not None'],
    ]
    for (const [text, message] of notDicts) {
      it(`refuses a top-level value that is not a dict: ${JSON.stringify(text)}`, () => {
        expect(syntaxError(text, readManifest).message).to.equal(message)
      })
    }

    it('passes syntax errors on, with the position in the file', () => {
      const text = OCA_STOCK_REQUEST.replace('"installable": True,', '"installable": __import__("os").system("id"),')
      expect(syntaxError(text, readManifest).message).to.equal('line 20, column 20: a name (__import__) is not a Python literal')
    })

    it('refuses a depth bomb inside a manifest', () => {
      const error = syntaxError(`{'data': ${'['.repeat(10_000)}`, readManifest)
      expect([error.line, error.column]).to.deep.equal([1, 10 + MAX_NESTING - 1])
    })
  })

  describe('checkModuleVersion', () => {
    const expected17 = 'expected x.y, x.y.z, 17.0.x.y or 17.0.x.y.z'
    const cases: Array<[string | undefined, string, {ok: boolean; normalized?: string; problem?: string}]> = [
      ['17.0.1.0.0', '17.0', {ok: true, normalized: '17.0.1.0.0'}],
      ['17.0.1.2.3', '17.0', {ok: true, normalized: '17.0.1.2.3'}],
      ['17.0.1.0', '17.0', {ok: true, normalized: '17.0.1.0'}],
      ['1.0', '17.0', {ok: true, normalized: '17.0.1.0'}],
      ['1.0.0', '17.0', {ok: true, normalized: '17.0.1.0.0'}],
      ['1.2', '17.0', {ok: true, normalized: '17.0.1.2'}],
      // Odoo's default version when the manifest has none.
      [undefined, '17.0', {ok: true, normalized: '17.0.1.0'}],
      // Below 8.0 no Odoo series: a short form.
      ['7.0.1', '17.0', {ok: true, normalized: '17.0.7.0.1'}],
      ['16.0.1.0.0', '17.0', {ok: false, problem: 'names series 16.0, not 17.0'}],
      ['18.0.1.0.0', '17.0', {ok: false, problem: 'names series 18.0, not 17.0'}],
      ['8.0.1.0.0', '17.0', {ok: false, problem: 'names series 8.0, not 17.0'}],
      // Odoo would take these as short forms (17.0.16.0.1): refused, they name another series.
      ['16.0.1', '17.0', {ok: false, problem: 'names series 16.0, not 17.0'}],
      ['16.0', '17.0', {ok: false, problem: 'names series 16.0, not 17.0'}],
      ['saas~16.3.1.0', '17.0', {ok: false, problem: 'names series saas~16.3, not 17.0'}],
      ['17.0', '17.0', {ok: false, problem: `is the series alone, with no module version after it (${expected17})`}],
      ['17.0.1', '17.0', {ok: false, problem: `is not a module version (${expected17})`}],
      ['17.0.1.0.0.0', '17.0', {ok: false, problem: `is not a module version (${expected17})`}],
      ['17.0.1.0.beta', '17.0', {ok: false, problem: `is not a module version (${expected17})`}],
      ['1.0.0.0', '17.0', {ok: false, problem: `is not a module version (${expected17})`}],
      ['abc', '17.0', {ok: false, problem: `is not a module version (${expected17})`}],
      ['', '17.0', {ok: false, problem: `is not a module version (${expected17})`}],
      [' 1.0', '17.0', {ok: false, problem: `is not a module version (${expected17})`}],
      ['1.0-beta', '17.0', {ok: false, problem: `is not a module version (${expected17})`}],
      ['1', '17.0', {ok: false, problem: `is not a module version (${expected17})`}],
      ['18.0.1.0.0', '18.0', {ok: true, normalized: '18.0.1.0.0'}],
      ['17.0.2.0.0', '18.0', {ok: false, problem: 'names series 17.0, not 18.0'}],
      ['saas~17.2.1.0', 'saas~17.2', {ok: true, normalized: 'saas~17.2.1.0'}],
      ['1.0', 'saas~17.2', {ok: true, normalized: 'saas~17.2.1.0'}],
      ['17.0.1.0.0', 'saas~17.2', {ok: false, problem: 'names series 17.0, not saas~17.2'}],
      ['1.0', 'seventeen', {ok: false, problem: 'cannot be checked: "seventeen" is not an Odoo series'}],
    ]
    for (const [version, series, result] of cases) {
      it(`${JSON.stringify(version) ?? 'no version'} on ${series}`, () => {
        expect(checkModuleVersion(version, series)).to.deep.equal(result)
      })
    }
  })
})
