import type {Ui} from '../output/ui.js'
import {choiceValues} from '../templates/semantic.js'
import type {AnsweredUser, Template, TemplateQuestion} from '../templates/types.js'
import {rolesOf, type AnswerPrompter, type AnswerValue} from './answers.js'
import {checkEmail} from './validate.js'

const flagOf = (q: TemplateQuestion) => `--answer ${q.id}=… (or an --answers file)`

/** The template's questions asked through the Ui's inquirer prompts (a terminal only). */
export function uiPrompter(ui: Ui): AnswerPrompter {
  return {
    async ask(template, q, current, validate) {
      const message = q.help ? `${q.message} (${q.help})` : q.message
      switch (q.type) {
        case 'confirm':
          return ui.confirm({message, default: current === true, assumeYes: false})
        case 'select': {
          const choices = (q.choices ?? []).map((c) => (typeof c === 'string' ? {value: c} : {value: c.value, name: c.name ?? c.value}))
          const values = choiceValues(q)
          return ui.select({message, flag: flagOf(q), choices, default: typeof current === 'string' && values.includes(current) ? current : undefined})
        }
        case 'password':
          return ui.password({message, flag: flagOf(q), validate: (v) => validate(v)})
        case 'users':
          return askUsers(ui, template, q, Array.isArray(current) ? (current) : [], validate)
        default:
          return ui.input({message, flag: flagOf(q), default: typeof current === 'string' && current !== '' ? current : undefined, validate: (v) => validate(v)})
      }
    },
  }
}

/** A list of users: add one at a time (name, login, role) until the consultant says done. */
async function askUsers(ui: Ui, template: Template, q: TemplateQuestion, start: AnsweredUser[], validate: (value: unknown) => true | string): Promise<AnswerValue> {
  const users = [...start]
  const roles = rolesOf(template, q)
  ui.log(q.message)
  for (;;) {
    if (users.length) ui.log(users.map((u, i) => `  ${i + 1}. ${u.name} <${u.login}> — ${u.role}`).join('\n'))
    const more = await ui.confirm({message: users.length ? 'Add another user?' : 'Add a user?', default: users.length === 0, assumeYes: false})
    if (!more) {
      const verdict = validate(users)
      if (verdict === true) return users
      ui.warn(verdict)
      continue
    }
    const name = await ui.input({message: 'Full name', flag: flagOf(q), validate: (v) => (v.trim() ? true : 'a name is needed')})
    const login = await ui.input({
      message: 'Login e-mail',
      flag: flagOf(q),
      validate: (v) => {
        const check = checkEmail(v)
        if (!check.ok) return check.message
        return users.some((u) => u.login.toLowerCase() === v.toLowerCase()) ? `${v} is already in the list` : true
      },
    })
    const role = await ui.select({
      message: 'Role',
      flag: flagOf(q),
      choices: roles.map((r) => ({value: r, name: `${r} — ${template.roles?.[r]?.title ?? ''}`})),
    })
    users.push({name, login, email: login, role})
  }
}
