import {mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {OdoopsError, messageOf} from '../errors.js'
import type {FixtureSeries} from '../fixture-odoo/build.js'

/**
 * The fixture Odoo repository for `sandbox up --fixture-odoo`: a local apt repository
 * holding a small stand-in `odoo` package (not the real Odoo), built by
 * src/lib/fixture-odoo/build.ts and mounted read-only into the sandbox.
 */
async function loadBuilder() {
  try {
    // Loaded only when asked for: building the package needs dpkg-deb, which plain `up` does not.
    return await import('../fixture-odoo/build.js')
  } catch (error) {
    throw new OdoopsError('SANDBOX_FIXTURE_UNAVAILABLE', `Cannot provide the fixture Odoo: the package builder could not be loaded (${messageOf(error)}).`, {
      suggestions: ['Boot without it (odoops sandbox up) and install Odoo another way.'],
    })
  }
}

/** Build (or rebuild) the fixture repository under `<cacheDir>/fixture-odoo/<series>`; returns its directory. */
export async function buildFixtureRepo(cacheDir: string, series: FixtureSeries = '17.0'): Promise<string> {
  const builder = await loadBuilder()
  const base = join(cacheDir, 'fixture-odoo', series)
  const outDir = join(base, 'build')
  const repoDir = join(base, 'repo')
  mkdirSync(outDir, {recursive: true})
  mkdirSync(repoDir, {recursive: true})
  const deb = await builder.buildFixtureOdooPackage({series, outDir})
  await builder.createLocalAptRepo(repoDir, [deb])
  return repoDir
}
