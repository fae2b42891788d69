import { ElMessage } from "element-plus";
import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router";

import { setUnauthorizedHandler } from "@/api/client";
import type { Role } from "@/api/types";
import { homeFor, session } from "@/session";

declare module "vue-router" {
  interface RouteMeta {
    title?: string;
    /** Signed-in users with one of these roles only. */
    roles?: Role[];
    /** Any signed-in user. */
    auth?: boolean;
  }
}

const routes: RouteRecordRaw[] = [
  { path: "/", redirect: "/needs" },
  {
    path: "/needs",
    name: "needs",
    component: () => import("@/views/PostingList.vue"),
    props: { kind: "need" },
    meta: { title: "需求榜单" },
  },
  {
    path: "/results",
    name: "results",
    component: () => import("@/views/AwardResults.vue"),
    meta: { title: "揭榜结果公示" },
  },
  {
    path: "/needs/:id(\\d+)",
    name: "need",
    component: () => import("@/views/NeedDetail.vue"),
    props: (r) => ({ id: Number(r.params.id) }),
    meta: { title: "需求详情" },
  },
  {
    path: "/capabilities",
    name: "capabilities",
    component: () => import("@/views/PostingList.vue"),
    props: { kind: "capability" },
    meta: { title: "成果库" },
  },
  {
    path: "/capabilities/:id(\\d+)",
    name: "capability",
    component: () => import("@/views/CapabilityDetail.vue"),
    props: (r) => ({ id: Number(r.params.id) }),
    meta: { title: "成果详情" },
  },
  {
    path: "/login",
    name: "login",
    component: () => import("@/views/LoginView.vue"),
    meta: { title: "登录" },
  },
  {
    path: "/register",
    name: "register",
    component: () => import("@/views/RegisterView.vue"),
    meta: { title: "注册" },
  },
  {
    path: "/password",
    name: "password",
    component: () => import("@/views/ChangePassword.vue"),
    meta: { title: "修改密码", auth: true },
  },
  {
    path: "/my/needs",
    name: "my-needs",
    component: () => import("@/views/my/MyPostings.vue"),
    props: { kind: "need" },
    meta: { title: "我的需求", roles: ["enterprise"] },
  },
  {
    path: "/my/needs/new",
    name: "need-new",
    component: () => import("@/views/my/PostingForm.vue"),
    props: { kind: "need" },
    meta: { title: "发布需求", roles: ["enterprise"] },
  },
  {
    path: "/my/needs/:id(\\d+)/edit",
    name: "need-edit",
    component: () => import("@/views/my/PostingForm.vue"),
    props: (r) => ({ kind: "need", id: Number(r.params.id) }),
    meta: { title: "修改需求", roles: ["enterprise"] },
  },
  {
    path: "/my/capabilities",
    name: "my-capabilities",
    component: () => import("@/views/my/MyPostings.vue"),
    props: { kind: "capability" },
    meta: { title: "我的成果", roles: ["researcher"] },
  },
  {
    path: "/my/capabilities/new",
    name: "capability-new",
    component: () => import("@/views/my/PostingForm.vue"),
    props: { kind: "capability" },
    meta: { title: "发布成果", roles: ["researcher"] },
  },
  {
    path: "/my/capabilities/:id(\\d+)/edit",
    name: "capability-edit",
    component: () => import("@/views/my/PostingForm.vue"),
    props: (r) => ({ kind: "capability", id: Number(r.params.id) }),
    meta: { title: "修改成果", roles: ["researcher"] },
  },
  {
    path: "/needs/:id(\\d+)/apply",
    name: "need-apply",
    component: () => import("@/views/my/ApplicationForm.vue"),
    props: (r) => ({ needId: Number(r.params.id) }),
    meta: { title: "揭榜申请", roles: ["researcher", "enterprise"] },
  },
  {
    path: "/needs/:id(\\d+)/applications",
    name: "need-applications",
    component: () => import("@/views/NeedApplications.vue"),
    props: (r) => ({ id: Number(r.params.id) }),
    meta: { title: "揭榜申请对比", roles: ["enterprise", "admin"] },
  },
  {
    path: "/my/applications",
    name: "my-applications",
    component: () => import("@/views/my/MyApplications.vue"),
    meta: { title: "我的揭榜", roles: ["researcher", "enterprise"] },
  },
  {
    path: "/my/applications/:id(\\d+)/edit",
    name: "application-edit",
    component: () => import("@/views/my/ApplicationForm.vue"),
    props: (r) => ({ id: Number(r.params.id) }),
    meta: { title: "修改揭榜申请", roles: ["researcher", "enterprise"] },
  },
  {
    path: "/my/recommended",
    name: "my-recommended",
    component: () => import("@/views/my/RecommendedNeeds.vue"),
    meta: { title: "为我推荐的需求", roles: ["researcher"] },
  },
  {
    path: "/matches",
    name: "matches",
    component: () => import("@/views/MatchList.vue"),
    meta: { title: "匹配", auth: true },
  },
  {
    path: "/matches/:id(\\d+)",
    name: "match",
    component: () => import("@/views/MatchDetail.vue"),
    props: (r) => ({ id: Number(r.params.id) }),
    meta: { title: "匹配详情", auth: true },
  },
  {
    path: "/broker/record",
    name: "broker-record",
    component: () => import("@/views/BrokerRecord.vue"),
    meta: { title: "我的经纪业绩", roles: ["broker"] },
  },
  {
    path: "/reviews",
    name: "reviews",
    component: () => import("@/views/expert/MyReviews.vue"),
    meta: { title: "评审任务", roles: ["expert", "admin"] },
  },
  {
    path: "/reviews/:id(\\d+)",
    name: "review",
    component: () => import("@/views/expert/ReviewSheet.vue"),
    props: (r) => ({ id: Number(r.params.id) }),
    meta: { title: "专家论证", roles: ["expert", "admin"] },
  },
  {
    path: "/needs/:id(\\d+)/reviews",
    name: "need-reviews",
    component: () => import("@/views/NeedReviews.vue"),
    props: (r) => ({ id: Number(r.params.id) }),
    meta: { title: "专家论证", roles: ["admin", "enterprise"] },
  },
  {
    path: "/applications/:id(\\d+)",
    name: "application",
    component: () => import("@/views/ApplicationDetail.vue"),
    props: (r) => ({ id: Number(r.params.id) }),
    meta: { title: "揭榜申请", roles: ["researcher", "enterprise", "admin"] },
  },
  {
    path: "/notifications",
    name: "notifications",
    component: () => import("@/views/NotificationList.vue"),
    meta: { title: "消息通知", auth: true },
  },
  {
    path: "/admin/review",
    name: "admin-review",
    component: () => import("@/views/admin/ReviewQueue.vue"),
    meta: { title: "审核队列", roles: ["admin"] },
  },
  {
    path: "/admin/dashboard",
    name: "admin-dashboard",
    component: () => import("@/views/admin/Dashboard.vue"),
    meta: { title: "统计看板", roles: ["admin"] },
  },
  {
    path: "/admin/users",
    name: "admin-users",
    component: () => import("@/views/admin/UserList.vue"),
    meta: { title: "用户管理", roles: ["admin"] },
  },
  {
    path: "/intake",
    name: "intake",
    component: () => import("@/views/intake/IntakePage.vue"),
    meta: { title: "批量导入", roles: ["admin", "enterprise", "researcher"] },
  },
  {
    path: "/my/subscriptions",
    name: "my-subscriptions",
    component: () => import("@/views/my/MySubscriptions.vue"),
    meta: { title: "我的订阅", roles: ["researcher", "enterprise", "broker"] },
  },
  {
    path: "/unsubscribe",
    name: "unsubscribe",
    component: () => import("@/views/UnsubscribePage.vue"),
    meta: { title: "退订" },
  },
  {
    path: "/open-api",
    name: "open-api",
    component: () => import("@/views/developer/OpenApiPage.vue"),
    meta: { title: "开放接口", roles: ["enterprise", "researcher", "admin"] },
  },
  {
    path: "/:pathMatch(.*)*",
    name: "not-found",
    component: () => import("@/views/NotFound.vue"),
    meta: { title: "页面不存在" },
  },
];

export const router = createRouter({
  history: createWebHistory("/"),
  routes,
  scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
});

router.beforeEach(async (to) => {
  await session.ensureLoaded();
  const needsLogin = to.meta.auth || to.meta.roles;
  if (needsLogin && !session.loggedIn.value) {
    return { name: "login", query: { redirect: to.fullPath } };
  }
  // An admin reset the password: nothing else until the user has set a new one.
  if (session.mustChangePassword.value && to.name !== "password") {
    return { name: "password", query: to.name === "login" ? {} : { redirect: to.fullPath } };
  }
  if (to.meta.roles && !to.meta.roles.includes(session.role.value as Role)) {
    ElMessage.warning("当前账号无权访问该页面");
    return homeFor(session.role.value);
  }
  if ((to.name === "login" || to.name === "register") && session.loggedIn.value) {
    return homeFor(session.role.value);
  }
  return true;
});

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} · 揭榜` : "揭榜";
});

setUnauthorizedHandler(() => {
  const wasSignedIn = session.loggedIn.value;
  void session.logout();
  // A stale token found at start-up: carry on as a visitor (the guard still asks signed-in
  // pages for a login).
  if (!wasSignedIn) return;
  const current = router.currentRoute.value;
  if (current.name === "login") return;
  ElMessage.warning("登录已失效，请重新登录");
  void router.push({ name: "login", query: { redirect: current.fullPath } });
});
