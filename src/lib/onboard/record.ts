import type {StepRecord} from '../steps/runner.js'
import type {OnboardingRunRecord} from '../state/records.js'
import type {Template} from '../templates/types.js'
import type {Answers} from './answers.js'

export type OnboardingState = 'running' | 'done' | 'failed'

/** A user the run created (or found, on a resume) in the tenant's Odoo. */
export interface OnboardedUser {
  login: string
  name: string
  role: string
  uid: number
  /** False when the login already existed before this run: its password was left alone. */
  created: boolean
}

/**
 * One onboarding, in the store's `onboardingRuns` collection (id = the short run id).
 * The template is kept as it was resolved, so a resume runs the same plan even if the
 * file changed since. Answers of password questions are in the vault, not here.
 */
export interface OnboardingRun extends OnboardingRunRecord {
  template: string
  templateVersion: number
  templateSnapshot: Template
  state: OnboardingState
  /** The customer's tenant slug: one onboarding per customer. */
  customer: string
  customerName: string
  domain: string
  /** Addon repositories the tenant is created with (the template's, then --addons). */
  addons?: string[]
  plan?: string
  host?: string
  autoPlace: boolean
  series?: string
  backupTarget?: string
  answers: Answers
  /** Answers kept in the vault (password questions). */
  secretAnswers: string[]
  steps: StepRecord[]
  users: OnboardedUser[]
  backupId: string | null
  startedAt: string
  finishedAt?: string
  failedStep?: string
  error?: string
}

export const runSecretPrefix = (runId: string) => `onboarding/${runId}/`
/** Under the tenant's prefix, so `tenant remove` deletes it with the tenant's other secrets. */
export const userPasswordSecret = (slug: string, login: string) => `tenant/${slug}/user/${Buffer.from(login, 'utf8').toString('base64url')}/initial-password`
export const answerSecret = (runId: string, question: string) => `onboarding/${runId}/answer/${question}`
export const onboardLockKey = (slug: string) => `onboard:${slug}`
