import Papa from 'papaparse'
import { describe, expect, it } from 'vitest'
import { toCsv } from '@/lib/csv'
import { resultsToCsv } from '@/lib/batch'
import { prediction } from './fixtures'

const parse = (csv: string) => Papa.parse<string[]>(csv, { skipEmptyLines: true }).data

describe('toCsv', () => {
  it.each(['=1+1', '+1', '-1', '@SUM(A1)', '\t=1', '\r=1', '=HYPERLINK("http://x","y")', '=a\nb'])(
    'writes %j as text: a quote in front, the cell in double quotes',
    (cell) => {
      const csv = toCsv(['id', 'text'], [[7, cell]])
      expect(csv).toContain(`,"'${cell.replace(/"/g, '""')}"`)
      expect(parse(csv)[1]).toEqual(['7', `'${cell}`])
    },
  )

  it.each(['hello', 'a=b', '1-2', ' =1', ''])('leaves %j as it is', (cell) => {
    expect(parse(toCsv(['text'], [[cell]]))[1] ?? ['']).toEqual([cell])
  })

  it('leaves numbers alone, negative ones too', () => {
    expect(toCsv(['n'], [[-1]])).toBe('n\r\n-1')
  })
})

describe('resultsToCsv', () => {
  it('neutralises a message that is a formula in the batch download', () => {
    const csv = resultsToCsv([{ text: '=cmd|"/c calc"!A1', prediction: prediction({ id: 3 }), error: null }], ['ham', 'spam'])
    expect(parse(csv)[1]?.[0]).toBe(`'=cmd|"/c calc"!A1`)
  })
})
