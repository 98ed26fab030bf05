// File uploads for the import form, without JavaScript: a plain
// <form enctype="multipart/form-data"> with the _csrf field. The platform checks
// CSRF in preValidation against req.body._csrf, so the body must be parsed by a
// content-type parser (which runs before preValidation), not by a handler. The
// body is read into memory up to a fixed limit (Fastify answers 413 past it) and
// split here; nothing is written to disk. Generic: a later module that takes
// uploads can move this to src/platform.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { HttpError } from '../../platform/errors.ts'

export interface UploadedFile { filename: string; data: Buffer }

/** multipart/form-data → { field: string, file: UploadedFile }; the first of a repeated name wins */
export function parseMultipart(body: Buffer, contentType: string): Record<string, string | UploadedFile> {
  const m = /boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType)
  if (!m) throw new HttpError(400, 'errors.badRequest')
  const delim = Buffer.from(`--${m[1] ?? m[2]}`)
  const out: Record<string, string | UploadedFile> = Object.create(null)
  let pos = body.indexOf(delim)
  if (pos < 0) throw new HttpError(400, 'errors.badRequest')
  let parts = 0
  while (pos >= 0) {
    pos += delim.length
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) break // closing delimiter
    const headEnd = body.indexOf('\r\n\r\n', pos)
    if (headEnd < 0) throw new HttpError(400, 'errors.badRequest')
    const head = body.toString('utf8', pos, headEnd)
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delim]), headEnd + 4)
    if (next < 0) throw new HttpError(400, 'errors.badRequest')
    if (++parts > 20) throw new HttpError(400, 'errors.badRequest')
    const disp = /content-disposition:\s*form-data;([^\r\n]*)/i.exec(head)?.[1] ?? ''
    const name = /\bname="([^"]*)"/i.exec(disp)?.[1]
    const filename = /\bfilename="([^"]*)"/i.exec(disp)?.[1]
    const data = body.subarray(headEnd + 4, next)
    if (name && !(name in out) && name !== '__proto__') {
      out[name] = filename !== undefined ? { filename: filename.split(/[\\/]/).pop()!.slice(0, 200), data } : data.toString('utf8')
    }
    pos = next + 2
  }
  return out
}

/**
 * Registers the parser in the calling plugin's scope only. `maxBytes` bounds the
 * whole body; a request announcing more is refused before it is read.
 */
export function acceptUploads(app: FastifyInstance, maxBytes: number) {
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: maxBytes }, async (req: FastifyRequest, body: Buffer) =>
    parseMultipart(body, String(req.headers['content-type'] ?? '')))
}
