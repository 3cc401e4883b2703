import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import type { ActionName } from '@/composables/useAccess'
import { toProjectPage } from './projects'

declare module 'vue-router' {
  interface RouteMeta {
    title?: string
    /** What the page does: App.vue shows why instead of the page when the caller may not
     * ('self': a signed-in person's own things). */
    action?: ActionName | 'self'
  }
}

/** The pages of one project, below `/p/:project/`. */
const projectPages: RouteRecordRaw[] = [
  { path: '', name: 'classify', component: () => import('@/views/ClassifyView.vue'), meta: { title: 'Classify', action: 'classify' } },
  { path: 'history', name: 'history', component: () => import('@/views/HistoryView.vue'), meta: { title: 'History', action: 'read_own' } },
  { path: 'batch', name: 'batch', component: () => import('@/views/BatchView.vue'), meta: { title: 'Batch', action: 'classify' } },
  { path: 'models', name: 'models', component: () => import('@/views/ModelsView.vue'), meta: { title: 'Models', action: 'read' } },
  {
    path: 'models/:id(\\d+)',
    name: 'model',
    component: () => import('@/views/ModelDetailView.vue'),
    props: (route) => ({ id: Number(route.params.id) }),
    meta: { title: 'Model', action: 'read' },
  },
  { path: 'dashboard', name: 'dashboard', component: () => import('@/views/DashboardView.vue'), meta: { title: 'Dashboard', action: 'read' } },
  { path: 'review', name: 'review', component: () => import('@/views/ReviewView.vue'), meta: { title: 'Review queue', action: 'read' } },
  { path: 'label', name: 'label', component: () => import('@/views/LabelView.vue'), meta: { title: 'Label', action: 'label' } },
]

/** A record only there to redirect: its guard always leaves before anything renders. */
const redirecting = { render: () => null }

/** `/`, `/history`, `/models/3`…: the same page of the remembered (or default) project. */
const projectLessLinks: RouteRecordRaw[] = projectPages.map((page) => ({
  path: `/${page.path}`,
  component: redirecting,
  beforeEnter: toProjectPage(page.name as string),
}))

export const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('@/views/LoginView.vue'), meta: { title: 'Sign in' } },
  { path: '/users', name: 'users', component: () => import('@/views/UsersView.vue'), meta: { title: 'Users', action: 'manage_users' } },
  { path: '/tokens', name: 'tokens', component: () => import('@/views/TokensView.vue'), meta: { title: 'API tokens', action: 'self' } },
  { path: '/projects', name: 'projects', component: () => import('@/views/ProjectsView.vue'), meta: { title: 'Projects' } },
  {
    path: '/projects/new',
    name: 'new-project',
    component: () => import('@/views/NewProjectView.vue'),
    meta: { title: 'New project', action: 'create_project' },
  },
  { path: '/p/:project', component: () => import('@/views/ProjectLayout.vue'), children: projectPages },
  ...projectLessLinks,
  { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('@/views/NotFoundView.vue'), meta: { title: 'Not found' } },
]

export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes,
  scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
})

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} · tagloop` : 'tagloop'
})
