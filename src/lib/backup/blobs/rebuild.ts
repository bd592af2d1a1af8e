import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {pack as tarPack} from 'tar-stream'
import {isOdoopsError, OdoopsError} from '../../errors.js'
import type {BackupTarget} from '../targets/target.js'
import {Sha1Check} from './check.js'
import {blobKey, isSafePath, type BlobRef} from './layout.js'

/** A blob that is missing from the pool or whose bytes no longer hash to its name. */
export class BlobProblem extends OdoopsError {
  constructor(
    readonly ref: BlobRef,
    readonly kind: 'missing' | 'corrupt',
    detail: string,
  ) {
    super('BACKUP_BLOB_BAD', `blob ${ref.sha1} (${ref.path}) ${kind === 'missing' ? 'is missing from the pool' : `is corrupt: ${detail}`}`, {
      suggestions: ['odoops backup verify names every backup that needs it; a newer backup of the tenant sends it again if the file is still in its filestore.'],
      data: {sha1: ref.sha1, path: ref.path, kind},
    })
  }
}

/**
 * A plain tar of a format-2 backup's filestore (entries `<path>`, as the stored archive of a
 * format-1 backup held them), built from the pool: each blob is read from the target and
 * hashed on the way; a blob that is missing, of the wrong size or whose SHA-1 is not its name
 * ends the stream with a BlobProblem, so nothing restores a wrong file. Bytes stream, one blob
 * at a time: flat memory.
 */
export function filestoreTarFromBlobs(target: BackupTarget, refs: readonly BlobRef[]): Readable {
  const pack = tarPack()
  const fill = async () => {
    for (const ref of refs) {
      if (!isSafePath(ref.path)) throw new OdoopsError('BACKUP_MANIFEST_INVALID', `unsafe filestore path in the manifest: ${ref.path}`)
      const source = await target.read(blobKey(ref.sha1)).catch((error: unknown) => {
        if (isOdoopsError(error) && error.code === 'BACKUP_FILE_MISSING') throw new BlobProblem(ref, 'missing', '')
        throw error
      })
      const check = new Sha1Check()
      const entry = pack.entry({name: ref.path, size: ref.size, mode: 0o640, type: 'file'})
      try {
        await pipeline(source, check, entry)
      } catch (error) {
        // A short blob makes tar-stream fail the entry: that is a corrupt blob, not an I/O error.
        if (check.size !== ref.size) throw new BlobProblem(ref, 'corrupt', `${check.size} bytes, the manifest says ${ref.size}`)
        throw error
      }
      const sha1 = check.digest()
      if (check.size !== ref.size) throw new BlobProblem(ref, 'corrupt', `${check.size} bytes, the manifest says ${ref.size}`)
      if (sha1 !== ref.sha1) throw new BlobProblem(ref, 'corrupt', `its bytes hash to ${sha1}`)
    }
    pack.finalize()
  }
  fill().catch((error: unknown) => pack.destroy(error as Error))
  return Readable.from(pack)
}
