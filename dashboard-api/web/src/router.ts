// Hash routes (#/city, #/site/ts-1, …): the server serves one index.html and needs no route
// per view. Views other than the city are their own chunks, loaded when first opened.
import { createRouter, createWebHashHistory } from 'vue-router'
import CityView from './views/CityView.vue'

export const VIEWS = ['city', 'sites', 'map', 'alerts', 'history', 'reports', 'recyclables', 'completeness'] as const
// Management views, in the header's admin menu for admins only (the admin REST refuses anyone
// else); `admin-x` is `#/admin/x`.
export const ADMIN_VIEWS = [
  'admin-devices',
  'admin-users',
  'admin-targets',
  'admin-sites',
  'admin-zones',
  'admin-rules'
] as const
export const viewPath = (v: string): string => `/${v.replace(/^admin-/, 'admin/')}`

export function createAppRouter() {
  return createRouter({
    history: createWebHashHistory(),
    routes: [
      { path: '/', redirect: '/city' },
      { path: '/city', name: 'city', component: CityView },
      { path: '/sites', name: 'sites', component: () => import('./views/SitesView.vue') },
      { path: '/site/:id', name: 'site', component: () => import('./views/SiteView.vue'), props: true },
      { path: '/map', name: 'map', component: () => import('./views/MapView.vue') },
      { path: '/alerts', name: 'alerts', component: () => import('./views/AlertsView.vue') },
      { path: '/track/:id?', name: 'track', component: () => import('./views/TrackView.vue'), props: true },
      { path: '/history', name: 'history', component: () => import('./views/HistoryView.vue') },
      { path: '/reports', name: 'reports', component: () => import('./views/ReportsView.vue') },
      { path: '/recyclables', name: 'recyclables', component: () => import('./views/RecyclablesView.vue') },
      { path: '/completeness', name: 'completeness', component: () => import('./views/CompletenessView.vue') },
      // The big screen (大屏): full screen, no header; opened with a display credential.
      { path: '/wall', name: 'wall', component: () => import('./views/WallView.vue') },
      { path: '/admin/devices', name: 'admin-devices', component: () => import('./views/DevicesAdminView.vue') },
      { path: '/admin/users', name: 'admin-users', component: () => import('./views/UsersAdminView.vue') },
      { path: '/admin/targets', name: 'admin-targets', component: () => import('./views/TargetsAdminView.vue') },
      { path: '/admin/sites', name: 'admin-sites', component: () => import('./views/SitesAdminView.vue') },
      { path: '/admin/zones', name: 'admin-zones', component: () => import('./views/ZonesAdminView.vue') },
      { path: '/admin/rules', name: 'admin-rules', component: () => import('./views/RulesAdminView.vue') },
      { path: '/:rest(.*)*', redirect: '/city' }
    ]
  })
}
