import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import FeedbackForm from '../FeedbackForm.vue'
import { jsonResponse, prediction } from './fixtures'

function stubFeedback(status = 200, body?: unknown) {
  const fetchMock = vi.fn<typeof fetch>(async (input, init) => {
    const url = String(input)
    if (url.startsWith('/api/v1/projects/default/info')) return jsonResponse({ error: { code: 'x', message: 'no info', details: null } }, 503)
    const sent = JSON.parse(String(init?.body)) as { label: string; comment?: string }
    return jsonResponse(
      body ?? {
        ...prediction(),
        feedback: { label: sent.label, comment: sent.comment ?? '', reviewer: 'me', created_at: '', agrees: sent.label === 'spam' },
      },
      status,
    )
  })
  vi.stubGlobal('fetch', fetchMock)
  return fetchMock
}

const feedbackCalls = (fetchMock: ReturnType<typeof stubFeedback>) =>
  fetchMock.mock.calls.filter(([url]) => String(url).endsWith('/feedback'))

afterEach(() => vi.unstubAllGlobals())

describe('FeedbackForm', () => {
  it('thumbs up sends the predicted label and says thanks', async () => {
    const fetchMock = stubFeedback()
    const wrapper = mount(FeedbackForm, { props: { prediction: prediction() } })
    await wrapper.get('[data-testid="feedback-yes"]').trigger('click')
    await flushPromises()
    const [url, init] = feedbackCalls(fetchMock)[0]
    expect(url).toBe('/api/v1/projects/default/predictions/7/feedback')
    expect(init?.body).toBe('{"label":"spam"}')
    expect(wrapper.get('[data-testid="feedback-saved"]').text()).toBe('Thanks, confirmed.')
    expect(wrapper.emitted('updated')?.[0][0]).toMatchObject({ feedback: { label: 'spam', agrees: true } })
  })

  it('a correction sends the chosen label and the comment', async () => {
    const fetchMock = stubFeedback()
    const wrapper = mount(FeedbackForm, { props: { prediction: prediction() } })
    await wrapper.get('[data-testid="feedback-no"]').trigger('click')
    const radios = wrapper.findAll('input[type="radio"]')
    // "Something else" offers every label but the predicted one.
    expect(radios.map((r) => (r.element as HTMLInputElement).value)).toEqual(['ham'])
    expect((radios[0].element as HTMLInputElement).checked).toBe(true)
    await wrapper.get('textarea').setValue('my friend')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(feedbackCalls(fetchMock)[0][1]?.body).toBe('{"label":"ham","comment":"my friend"}')
    expect(wrapper.get('[data-testid="feedback-saved"]').text()).toContain('saved as')
  })

  it("shows the API's message when feedback is refused", async () => {
    stubFeedback(404, { error: { code: 'not_found', message: 'prediction 7 does not exist', details: null } })
    const wrapper = mount(FeedbackForm, { props: { prediction: prediction() } })
    await wrapper.get('[data-testid="feedback-yes"]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[role="alert"]').text()).toContain('prediction 7 does not exist')
  })

  it('shows existing feedback instead of the question, with a way to change it', async () => {
    stubFeedback()
    const wrapper = mount(FeedbackForm, {
      props: {
        prediction: prediction({ feedback: { label: 'ham', comment: '', reviewer: 'x', created_at: '', agrees: false } }),
      },
    })
    expect(wrapper.text()).toContain('Corrected to ham')
    expect(wrapper.find('[data-testid="feedback-yes"]').exists()).toBe(false)
    await wrapper.get('button').trigger('click')
    expect(wrapper.find('[data-testid="feedback-yes"]').exists()).toBe(true)
  })

  it('shows the comment given with the feedback', () => {
    const feedback = { label: 'ham', comment: 'my friend wrote this', reviewer: 'x', created_at: '', agrees: false }
    const wrapper = mount(FeedbackForm, { props: { prediction: prediction({ feedback }) } })
    expect(wrapper.get('[data-testid="feedback-comment"]').text()).toBe('my friend wrote this')
    const none = mount(FeedbackForm, { props: { prediction: prediction({ feedback: { ...feedback, comment: '' } }) } })
    expect(none.find('[data-testid="feedback-comment"]').exists()).toBe(false)
  })

  it('keeps focus in the feedback area after "Yes" replaces the buttons', async () => {
    stubFeedback()
    const host = document.createElement('div')
    document.body.append(host)
    // The parent shows the stored feedback as soon as it hears of it, as the pages do.
    const wrapper = mount(FeedbackForm, {
      props: { prediction: prediction(), onUpdated: (p: ReturnType<typeof prediction>) => void wrapper.setProps({ prediction: p }) },
      attachTo: host,
    })
    const yes = wrapper.get('[data-testid="feedback-yes"]')
    ;(yes.element as HTMLButtonElement).focus()
    await yes.trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-testid="feedback-yes"]').exists()).toBe(false)
    expect(wrapper.element.contains(document.activeElement)).toBe(true)
    expect(document.activeElement?.textContent).toContain('Change')
    wrapper.unmount()
  })
})
