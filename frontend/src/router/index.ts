import { createRouter, createWebHistory } from 'vue-router'

declare module 'vue-router' {
  interface RouteMeta {
    title?: string
  }
}

export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes: [
    { path: '/', name: 'classify', component: () => import('@/views/ClassifyView.vue'), meta: { title: 'Classify' } },
    { path: '/history', name: 'history', component: () => import('@/views/HistoryView.vue'), meta: { title: 'History' } },
    { path: '/batch', name: 'batch', component: () => import('@/views/BatchView.vue'), meta: { title: 'Batch' } },
    { path: '/models', name: 'models', component: () => import('@/views/ModelsView.vue'), meta: { title: 'Models' } },
    {
      path: '/models/:id(\\d+)',
      name: 'model',
      component: () => import('@/views/ModelDetailView.vue'),
      props: (route) => ({ id: Number(route.params.id) }),
      meta: { title: 'Model' },
    },
    { path: '/dashboard', name: 'dashboard', component: () => import('@/views/DashboardView.vue'), meta: { title: 'Dashboard' } },
    { path: '/review', name: 'review', component: () => import('@/views/ReviewView.vue'), meta: { title: 'Review queue' } },
    { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('@/views/NotFoundView.vue'), meta: { title: 'Not found' } },
  ],
  scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
})

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} · tagloop` : 'tagloop'
})
