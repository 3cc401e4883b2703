import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import LeaderboardTable from '../LeaderboardTable.vue'
import type { Selection } from '@/api/types'

const selection: Selection = {
  metric: 'macro_f1',
  budget: 90,
  winner: { candidate: 'ridge-char', backend: 'sklearn', params: {} },
  selection_seconds: 3.2,
  final_fit_seconds: 0.4,
  leaderboard: [
    { candidate: 'ridge-char', backend: 'sklearn', params: {}, status: 'scored', seconds: 2.14, accuracy: 0.9928, macro_f1: 0.9845, mcc: 0.969, selected: true },
    { candidate: 'cnb-word', backend: 'linear', params: {}, status: 'scored', seconds: 0.68, accuracy: 0.987, macro_f1: 0.9716, mcc: 0.9436 },
    { candidate: 'svm-word+char', backend: 'linear', params: {}, status: 'skipped', reason: 'predicted 200 s, over budget' },
  ],
}

describe('LeaderboardTable', () => {
  it('lists every candidate with its figures and marks the selected one', () => {
    const rows = mount(LeaderboardTable, { props: { selection } }).findAll('tbody tr')
    expect(rows).toHaveLength(3)
    expect(rows[0].classes()).toContain('selected')
    expect(rows[0].find('th').text()).toBe('ridge-char · selected')
    expect(rows[0].findAll('td').map((td) => td.text())).toEqual(['0.993', '0.985', '0.969', '2.1'])
    expect(rows[1].classes()).not.toContain('selected')
  })

  it('says why a candidate was not scored', () => {
    const skipped = mount(LeaderboardTable, { props: { selection } }).findAll('tbody tr')[2]
    expect(skipped.findAll('td')).toHaveLength(1)
    expect(skipped.text()).toContain('skipped: predicted 200 s, over budget')
  })
})
