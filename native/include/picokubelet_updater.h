// picokubelet's Picokubelet Updater service: call from app_init_services() in main/main.c,
// after devs_service_full_init() (it needs the DeviceScript manager) and before the program
// starts, so that a reset mid-deploy or a failed trial is undone before anything runs.
#pragma once

void picokubelet_updater_init(void);
