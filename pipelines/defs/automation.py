"""Jobs and schedules: one job that refreshes everything, and a daily schedule for it (off until turned on)."""

from dagster import AssetSelection, DefaultScheduleStatus, ScheduleDefinition, define_asset_job

REFRESH_JOB_NAME = "refresh_everything"

refresh_everything = define_asset_job(
    REFRESH_JOB_NAME,
    selection=AssetSelection.all(),
    description="Fetch every source, rebuild tidy tables, dbt marts, trends and reports.",
)

daily_refresh = ScheduleDefinition(
    name="daily_refresh",
    job=refresh_everything,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.STOPPED,
    description="Refresh everything daily at 06:00 UTC. Off by default: turn it on in the Dagster UI.",
)
