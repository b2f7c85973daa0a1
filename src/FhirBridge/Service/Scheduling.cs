using FhirBridge.Cli.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace FhirBridge.Cli.Service;

/// <summary>
/// The service's Quartz schedule: one job per source (at start, then on its cron schedule) and one registry-push job
/// that every source run triggers. With SQLite the schedule lives in memory (one instance). With PostgreSQL it lives in
/// the same database as the state, on Quartz's clustered ADO.NET job store, so several <c>fhirbridge run</c> processes
/// share the sources: each firing runs on one instance, a job marked <see cref="DisallowConcurrentExecutionAttribute"/>
/// never runs twice at once anywhere in the cluster, and the jobs of an instance that stops checking in are recovered
/// by another (docs/storage.md, "Several instances").
/// </summary>
public static class Scheduling
{
    /// <summary>The Quartz group of the source jobs (job name = source name).</summary>
    public const string SourcesGroup = "sources";

    /// <summary>The Quartz group of the triggers a notification queues.</summary>
    public const string NotificationsGroup = "notifications";

    /// <summary>The one job that drains the outbox.</summary>
    public static readonly JobKey RegistryPushJobKey = new("registry-push", "registry");

    /// <summary>The job of a source.</summary>
    public static JobKey SourceJob(string source) => new(source, SourcesGroup);

    /// <summary>Adds Quartz with the schedule of every configured source, clustered when the store is PostgreSQL.</summary>
    public static void AddSchedules(IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(FhirBridgeOptions.Section).Get<FhirBridgeOptions>() ?? new FhirBridgeOptions();
        services.AddQuartz(q =>
        {
            if (options.Storage.Provider == StorageProvider.PostgreSql)
            {
                UseClusteredStore(q, options);
            }

            // RequestRecovery: when an instance dies in the middle of a run, the instance that notices runs it again;
            // every stage is idempotent, so a repeated run changes nothing that the first one finished.
            q.AddJob<RegistryPushJob>(j => j.WithIdentity(RegistryPushJobKey).StoreDurably().RequestRecovery());
            foreach (var source in options.Sources)
            {
                var job = SourceJob(source.Name);
                q.AddJob<SourcePullJob>(j => j.WithIdentity(job).UsingJobData(SourcePullJob.SourceKey, source.Name).RequestRecovery());

                // Once at start, then on the schedule; a missed fire is not made up (the next pull catches up anyway).
                q.AddTrigger(t => t.ForJob(job).WithIdentity(source.Name + "-start", SourcesGroup).StartNow());
                q.AddTrigger(t => t.ForJob(job).WithIdentity(source.Name + "-schedule", SourcesGroup)
                    .WithCronSchedule(source.Schedule, c => c.WithMisfireInstruction(CronTriggerMisfireInstruction.DoNothing)));
            }
        });

        // Job data holds only the source's name (watermarks live in FhirBridge's own store), so re-applying the
        // configured jobs and triggers at every start is safe, and it is how a changed schedule reaches the cluster.
        services.Configure<QuartzOptions>(o => o.Scheduling.IgnoreDuplicates = true);
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
    }

    private static void UseClusteredStore(IQuartzBuilder q, FhirBridgeOptions options)
    {
        var cluster = options.Cluster;
        q.ConfigureScheduler(s =>
        {
            if (!string.IsNullOrWhiteSpace(cluster.InstanceId))
            {
                s.InstanceId = cluster.InstanceId;
            }

            // A trigger another instance queued (a notification, a push after its run) is only seen at the next look
            // at the store: look every few seconds rather than Quartz's default 30.
            s.IdleWaitTime = TimeSpan.FromSeconds(Math.Clamp(cluster.CheckinIntervalSeconds, 1, 5));
        });

        q.UsePersistentStore(store =>
        {
            store.UsePostgres(options.Storage.ConnectionString);
            store.UseSystemTextJsonSerializer();

            // The qrtz_* tables are created beside FhirBridge's own on first start; several instances starting at
            // once against an empty database is fine (the loser of the race finds the winner's tables).
            store.ProvisionSchema();
            store.UseClustering(c =>
            {
                c.CheckinInterval = TimeSpan.FromSeconds(cluster.CheckinIntervalSeconds);
                c.CheckinMisfireThreshold = TimeSpan.FromSeconds(cluster.FailoverSeconds);
            });
        });
    }
}
