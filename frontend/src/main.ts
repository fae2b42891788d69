import "element-plus/theme-chalk/base.css";
// Styles of the services called from script (templates get theirs from the resolver).
import "element-plus/es/components/message/style/css";
import "element-plus/es/components/message-box/style/css";
import "./styles.css";

import { createApp } from "vue";

import App from "./App.vue";
import { router } from "./router";

createApp(App).use(router).mount("#app");
