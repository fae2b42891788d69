/** The buttons of a 揭榜 application in 我的揭榜 (which ones: the API's `actions`). */
import { type ApplicationAction, applicationAction } from "@/api/applications";
import type { Application } from "@/api/types";
import type { ActionSpec, Step } from "@/utils/actions";

export const APPLICATION_ACTIONS: Record<string, ActionSpec> = {
  edit: { label: "修改", type: "primary", plain: true, to: (id) => `/my/applications/${id}/edit` },
  confirm_membership: { label: "答复联合体邀请", type: "warning", to: (id) => `/applications/${id}`, testId: "answer-invitation" },
  withdraw: {
    label: "撤回",
    confirm: (t) => [`确定撤回对“${t}”的揭榜申请？撤回后可重新提交。`, "撤回申请", "撤回"],
    done: "申请已撤回",
  },
};

/** An application as ActionButtons needs it: titled by its need. */
export type TitledApplication = Application & { title: string };
export const titled = (app: Application): TitledApplication => ({ ...app, title: app.need_title });

export const applicationStep: Step<TitledApplication> = async (app, action, reason) =>
  titled(await applicationAction(app, action as ApplicationAction, reason));
