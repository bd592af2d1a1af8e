import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {pack as tarPack} from 'tar-stream'
import {isOdoopsError, OdoopsError} from '../../errors.js'
import type {BackupTarget} from '../targets/target.js'
import {DigestStream} from '../digest.js'
import {blobFaultOf, describeBlobFault, type BlobFault} from './check.js'
import {blobKey, isSafePath, type BlobRef} from './layout.js'

/** A blob that is missing from the pool or whose bytes no longer hash to its name. */
export class BlobProblem extends OdoopsError {
  readonly ref: BlobRef
  readonly kind: BlobFault['kind']
  constructor(fault: BlobFault) {
    super('BACKUP_BLOB_BAD', describeBlobFault(fault), {
      suggestions: ['odoops backup verify names every backup that needs it; a newer backup of the tenant sends it again if the file is still in its filestore.'],
      data: {sha1: fault.ref.sha1, path: fault.ref.path, kind: fault.kind},
    })
    this.ref = fault.ref
    this.kind = fault.kind
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
        if (isOdoopsError(error) && error.code === 'BACKUP_FILE_MISSING') throw new BlobProblem({ref, kind: 'missing', detail: ''})
        throw error
      })
      const digest = new DigestStream(undefined, 'sha1')
      const entry = pack.entry({name: ref.path, size: ref.size, mode: 0o640, type: 'file'})
      try {
        await pipeline(source, digest, entry)
      } catch (error) {
        // A short blob makes tar-stream fail the entry: that is a corrupt blob, not an I/O error.
        if (digest.bytes !== ref.size) throw new BlobProblem({ref, kind: 'corrupt', detail: `${digest.bytes} bytes, the manifest says ${ref.size}`})
        throw error
      }
      const fault = blobFaultOf(ref, {size: digest.bytes, sha1: digest.hex()})
      if (fault) throw new BlobProblem(fault)
    }
    pack.finalize()
  }
  fill().catch((error: unknown) => pack.destroy(error as Error))
  return Readable.from(pack)
}
