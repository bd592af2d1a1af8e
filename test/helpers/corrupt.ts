import {closeSync, openSync, readSync, statSync, writeSync} from 'node:fs'

/** XOR one byte in the middle of a file (a bit-rotted disk, a bad copy). */
export function flipByte(path: string): void {
  const fd = openSync(path, 'r+')
  try {
    const at = Math.floor(statSync(path).size / 2)
    const byte = Buffer.alloc(1)
    readSync(fd, byte, 0, 1, at)
    byte[0] ^= 0xff
    writeSync(fd, byte, 0, 1, at)
  } finally {
    closeSync(fd)
  }
}
