/**
 * The menu, one list for every role. Screens that later issues add (recommendations, 揭榜
 * applications, broker match review, notifications, statistics) slot in here and in the router.
 */
import type { Role } from "@/api/types";

export interface NavItem {
  path: string;
  label: string;
  /** Shown only to these roles; absent means everyone, signed in or not. */
  roles?: Role[];
}

export const NAV: NavItem[] = [
  { path: "/needs", label: "需求榜单" },
  { path: "/capabilities", label: "成果库" },
  { path: "/results", label: "揭榜公示" },
  { path: "/my/needs", label: "我的需求", roles: ["enterprise"] },
  { path: "/my/needs/new", label: "发布需求", roles: ["enterprise"] },
  { path: "/my/capabilities", label: "我的成果", roles: ["researcher"] },
  { path: "/my/capabilities/new", label: "发布成果", roles: ["researcher"] },
  { path: "/my/recommended", label: "为我推荐", roles: ["researcher"] },
  { path: "/my/applications", label: "我的揭榜", roles: ["researcher"] },
  { path: "/my/applications", label: "揭榜申请", roles: ["enterprise"] },
  { path: "/matches", label: "推荐对接", roles: ["enterprise", "researcher"] },
  { path: "/matches", label: "匹配审核", roles: ["broker", "admin"] },
  { path: "/broker/record", label: "我的业绩", roles: ["broker"] },
  { path: "/admin/review", label: "审核队列", roles: ["admin"] },
  { path: "/admin/dashboard", label: "统计看板", roles: ["admin"] },
  { path: "/reviews", label: "专家评审", roles: ["admin"] },
  { path: "/reviews", label: "我的评审", roles: ["expert"] },
  { path: "/admin/users", label: "用户管理", roles: ["admin"] },
  { path: "/intake", label: "批量导入", roles: ["admin", "enterprise", "researcher"] },
  { path: "/open-api", label: "开放接口", roles: ["admin", "enterprise", "researcher"] },
];

export function navFor(role: Role | null): NavItem[] {
  return NAV.filter((item) => !item.roles || (role !== null && item.roles.includes(role)));
}
