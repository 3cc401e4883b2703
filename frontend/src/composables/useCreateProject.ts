/**
 * Creating a project from the browser, one step after another: read a labelled file and preview
 * it, pick its text and label columns, create the project (admin), upload the file to train its
 * first version, and follow that job to the end. A refusal from the server is put next to the
 * field it is about. If training fails after the project was made, a new file can be sent to
 * the same project: it is not created twice.
 *
 * Or start from a label set and no data (`start` = 'labels'): the project is created with its
 * labels, and its texts are imported and labelled on its Label page.
 */
import { computed, reactive, ref, shallowRef } from 'vue'
import { createProject, startTraining } from '@/api/endpoints'
import { ApiError, errorMessage } from '@/api/client'
import type { Job, ProjectIn, TrainingUpload } from '@/api/types'
import { guessColumns, labelCounts, parseLabelledFile, slugProblem, suggestSlug, type LabelledFile } from '@/lib/projects'
import { useAdminToken } from './useAdminToken'
import { useJobPolling } from './useJobPolling'
import { useProjects } from './useProjects'

export const PREVIEW_ROWS = 5

export type CreateStep = 'edit' | 'creating' | 'uploading' | 'training' | 'done'
export type Field = 'name' | 'slug' | 'description' | 'file' | 'textColumn' | 'labelColumn' | 'labels' | 'form'
/** Where the project starts from: a labelled file to train on, or a label set and no data. */
export type Start = 'file' | 'labels'
export const MAX_LABELS = 100

/** The label names typed, split at commas and line ends: trimmed, blanks and repeats dropped. */
export function parseLabelSet(typed: string): string[] {
  return [...new Set(typed.split(/[,\n]/).map((name) => name.trim()).filter(Boolean))]
}

/** The API's names of the fields, as its validation errors give them. */
const API_FIELDS: Record<string, Field> = {
  slug: 'slug',
  name: 'name',
  description: 'description',
  file: 'file',
  format: 'file',
  text_column: 'textColumn',
  label_column: 'labelColumn',
  labels: 'labels',
}

/** The field an API error is about: named in its details (`{"field": …}`, `{"json": {"slug": …}}`), else `fallback`. */
export function fieldOf(error: ApiError, fallback: Field): Field {
  const details = error.details ?? {}
  if (typeof details.field === 'string' && details.field in API_FIELDS) return API_FIELDS[details.field]!
  for (const part of [details, details.json, details.form, details.files, details.form_and_files]) {
    if (typeof part !== 'object' || part === null) continue
    const named = Object.keys(part).find((key) => key in API_FIELDS)
    if (named) return API_FIELDS[named]!
  }
  return fallback
}

export function useCreateProject(pollMs = 1000) {
  const { withAdmin } = useAdminToken()
  const { reload: reloadProjects } = useProjects()

  const name = ref('')
  /** The slug typed, or null while it follows the name. */
  const typedSlug = ref<string | null>(null)
  const slug = computed({
    get: () => typedSlug.value ?? suggestSlug(name.value),
    set: (value: string) => {
      typedSlug.value = value
    },
  })
  const description = ref('')
  const start = ref<Start>('file')
  const labelSet = ref('')
  const labelNames = computed(() => parseLabelSet(labelSet.value))

  const file = shallowRef<File | null>(null)
  const parsed = shallowRef<LabelledFile | null>(null)
  const reading = ref(false)
  const textColumn = ref('')
  const labelColumn = ref('')
  const previewRows = computed(() => parsed.value?.rows.slice(0, PREVIEW_ROWS) ?? [])
  const counts = computed(() =>
    parsed.value && labelColumn.value ? labelCounts(parsed.value.rows, labelColumn.value) : [],
  )

  const errors = reactive<Partial<Record<Field, string>>>({})
  const step = ref<CreateStep>('edit')
  /** The slug of the project once it is made (a retry then only trains). */
  const created = ref<string | null>(null)
  const { job, error: pollError, follow } = useJobPolling(() => created.value ?? slug.value, pollMs)
  const busy = computed(() => step.value !== 'edit' && step.value !== 'done')

  function clearErrors() {
    for (const key of Object.keys(errors) as Field[]) delete errors[key]
  }

  /** Read `chosen` for its preview, and guess which columns hold the text and the label. */
  async function chooseFile(chosen: File | null) {
    file.value = chosen
    parsed.value = null
    textColumn.value = ''
    labelColumn.value = ''
    delete errors.file
    if (!chosen) return
    reading.value = true
    try {
      const result = parseLabelledFile(chosen.name, await chosen.text())
      parsed.value = result
      if (result.rows.length === 0) {
        errors.file = result.problems[0] ?? 'The file has no rows.'
        return
      }
      const guess = guessColumns(result)
      textColumn.value = guess.text
      labelColumn.value = guess.label
      if (result.problems.length) errors.file = result.problems.join('; ')
    } catch (e) {
      errors.file = `Could not read the file: ${errorMessage(e)}`
    } finally {
      reading.value = false
    }
  }

  /** Check what the browser can; true when the form can be sent. */
  function validate(): boolean {
    clearErrors()
    if (!created.value) {
      const problem = slugProblem(slug.value)
      if (problem) errors.slug = problem
    }
    if (start.value === 'labels') {
      if (labelNames.value.length < 2) errors.labels = 'Name at least two labels, separated by commas (more can be added while labelling).'
      else if (labelNames.value.length > MAX_LABELS) errors.labels = `At most ${MAX_LABELS} labels.`
      else if (labelNames.value.some((n) => n.length > 200)) errors.labels = 'A label is at most 200 characters.'
    } else if (!file.value || !parsed.value) errors.file = 'Choose a labelled file to train the first version on.'
    else if (parsed.value.rows.length === 0) errors.file = 'The file has no rows.'
    else {
      if (!textColumn.value) errors.textColumn = 'Pick the column that holds the text.'
      if (!labelColumn.value) errors.labelColumn = 'Pick the column that holds the label.'
      else if (labelColumn.value === textColumn.value) errors.labelColumn = 'The label must be another column than the text.'
      else if (counts.value.length < 2) errors.labelColumn = 'A classifier needs at least two different labels in this column.'
    }
    return Object.keys(errors).length === 0
  }

  function upload(): TrainingUpload {
    const format = parsed.value!.format
    if (format === 'sms') return { file: file.value!, format }
    return { file: file.value!, format, textColumn: textColumn.value, labelColumn: labelColumn.value }
  }

  /** Run the steps; resolves to the new project's slug once its first version is trained (or,
   * starting from a label set, once it exists), else null. */
  async function submit(): Promise<string | null> {
    if (busy.value || !validate()) return null
    try {
      if (!created.value) {
        step.value = 'creating'
        const input: ProjectIn = { slug: slug.value, name: name.value.trim() || slug.value, description: description.value.trim() }
        if (start.value === 'labels') input.labels = labelNames.value.map((label) => ({ name: label, display: '' }))
        const project = await withAdmin((token, actor) => createProject(input, { token, actor }), 'createProject')
        if (!project) {
          step.value = 'edit'
          return null
        }
        created.value = project.slug
        void reloadProjects()
        if (start.value === 'labels') {
          step.value = 'done'
          return project.slug
        }
      }
      const target = created.value
      step.value = 'uploading'
      const started = await withAdmin((token, actor) => startTraining(target, upload(), { token, actor }), 'train')
      if (!started) {
        step.value = 'edit'
        return null
      }
      step.value = 'training'
      const finished = await new Promise<Job>((resolve) => follow(started, resolve))
      if (finished.status !== 'succeeded') {
        errors.form =
          finished.status === 'cancelled'
            ? 'Training was cancelled. Send the file again to train the first version.'
            : `Training failed: ${finished.error || 'the worker gave no reason'}`
        step.value = 'edit'
        return null
      }
      step.value = 'done'
      void reloadProjects()
      return target
    } catch (e) {
      if (e instanceof ApiError) {
        const creating = step.value === 'creating'
        const fallback: Field = creating ? (e.status === 409 || e.status === 422 ? 'slug' : 'form') : e.status === 422 ? 'file' : 'form'
        errors[fieldOf(e, fallback)] = e.message
      } else {
        errors.form = errorMessage(e)
      }
      step.value = 'edit'
      return null
    }
  }

  return {
    name,
    slug,
    description,
    start,
    labelSet,
    labelNames,
    file,
    parsed,
    reading,
    textColumn,
    labelColumn,
    previewRows,
    counts,
    errors,
    step,
    created,
    job,
    pollError,
    busy,
    chooseFile,
    validate,
    submit,
  }
}
