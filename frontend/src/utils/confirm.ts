import { ElMessageBox } from "element-plus";

/** Ask before an action that cannot be undone from this screen; false when cancelled. */
export function confirmAction(message: string, title: string, button: string): Promise<boolean> {
  return ElMessageBox.confirm(message, title, {
    confirmButtonText: button,
    cancelButtonText: "取消",
    type: "warning",
  })
    .then(() => true)
    .catch(() => false);
}
