// @vitest-environment node
import { describe, expect, it } from 'vitest'
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript'
import document from '../../../../docs/openapi.json?raw'
import committed from '../schema.d.ts?raw'

describe('schema.d.ts', () => {
  it('is what openapi-typescript makes of docs/openapi.json', async () => {
    // The same call and options as the CLI in `npm run gen:api` (none: the defaults).
    const generated = COMMENT_HEADER + astToString(await openapiTS(document, { silent: true }))
    expect(committed, 'src/api/schema.d.ts is out of date with docs/openapi.json: run npm run gen:api').toBe(
      generated,
    )
  })
})
