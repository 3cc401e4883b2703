/**
 * Type helpers that read the generated `schema.d.ts` (`paths`, `components`) for `types.ts` and
 * `endpoints.ts`: what an operation takes and answers, and the check that each call's answer type
 * is the one the document gives.
 */
import type { paths } from './schema'

/**
 * `T` when each of its members narrows a member of `D` and has no field that member lacks (the
 * second half matters: with every field optional, almost any object is assignable to a schema).
 */
type Narrowing<T, D> = T extends unknown ? ([NarrowsSome<T, D>] extends [never] ? never : T) : never
type NarrowsSome<T, D> = D extends unknown
  ? T extends readonly (infer Item)[]
    ? D extends readonly (infer Declared)[]
      ? Narrowing<Item, Declared>
      : never
    : T extends D
      ? Exclude<keyof T, keyof D> extends never
        ? D
        : never
      : never
  : never

/**
 * `T` whose fields `K` may be left out because the server fills in their defaults.
 * (openapi-typescript marks a field that has a default as required: right for a response, not for
 * a request.)
 */
export type Defaulted<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>

/** The operations of the v1 API, by their path below `/api/v1` (as `client.ts` takes it). */
type V1 = { [P in keyof paths as P extends `/api/v1${infer Rest}` ? Rest : never]: paths[P] }
export type V1Path = keyof V1
type Method = 'get' | 'post'

type JsonContent<R> = R extends { content: { 'application/json': infer Body } } ? Body : never
type Operation<P extends V1Path, M extends Method> = NonNullable<V1[P][M]>

/** The JSON body that `M P` takes, as the document describes it. */
export type Body<P extends V1Path, M extends Method> = JsonContent<NonNullable<Operation<P, M>['requestBody']>>

/** The query parameters of `M P`. */
export type QueryOf<P extends V1Path, M extends Method> = NonNullable<Operation<P, M>['parameters']['query']>

type Success<P extends V1Path, M extends Method> =
  Operation<P, M>['responses'] extends infer R ? JsonContent<R[Extract<keyof R, 200 | 201 | 202>]> : never

/**
 * `T`, the type the client gives the successful answer of `M P`; a type error if `T` does not
 * narrow what the document says that operation answers.
 */
export type Answer<P extends V1Path, M extends Method, T extends NarrowingObject<T, Success<P, M>>> = T

/**
 * `T` if it narrows `D` as `Narrowing` says, else `T` with every field `never`. (A mapped type: a
 * type parameter cannot be constrained by a conditional type on itself.)
 */
type NarrowingObject<T, D> = { [K in keyof T]: [NarrowsSome<T, D>] extends [never] ? never : T[K] }
