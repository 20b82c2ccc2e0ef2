<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="zh_CN">
<context>
    <name>Input</name>
    <message>
        <source>手写</source>
        <translation>Handwriting</translation>
    </message>
    <message>
        <source>拼音</source>
        <translation>Pinyin</translation>
    </message>
    <message>
        <source>撤销一笔</source>
        <translation>Undo stroke</translation>
    </message>
    <message>
        <source>重写</source>
        <translation>Clear</translation>
    </message>
    <message>
        <source>在下面的方框里写一个字，每写一笔，这里就列出候选字，点一下即可输入</source>
        <translation>Write one Chinese character in the box below; after each stroke the likely characters appear here: tap one</translation>
    </message>
    <message>
        <source>拼音全拼或首字母都可以，例如：低保 → dibao 或 db；这里会列出汉字，点一下即可输入</source>
        <translation>Full pinyin or initials both work, e.g. 低保 → dibao or db; Chinese characters appear here: tap one to type it</translation>
    </message>
    <message>
        <source>输入英文单词，例如：residence permit</source>
        <translation>Type English words, e.g. residence permit</translation>
    </message>
    <message>
        <source>空格</source>
        <translation>Space</translation>
    </message>
    <message>
        <source>正在朗读……</source>
        <translation>Reading aloud…</translation>
    </message>
    <message>
        <source>读给我听</source>
        <translation>Read aloud (Chinese)</translation>
    </message>
    <message>
        <source>继续</source>
        <translation>Resume</translation>
    </message>
    <message>
        <source>暂停</source>
        <translation>Pause</translation>
    </message>
    <message>
        <source>停止</source>
        <translation>Stop</translation>
    </message>
    <message>
        <source>请选择号票类型</source>
        <translation>Choose your ticket</translation>
    </message>
    <message>
        <source>老年人、残疾人、孕妇等可取优先号（绿色通道），工作人员会优先叫号。</source>
        <translation>Elderly or disabled residents, pregnant women and others in need may take a priority ticket (green channel): they are called first.</translation>
    </message>
    <message>
        <source>普通号</source>
        <translation>Regular ticket</translation>
    </message>
    <message>
        <source>优先号（绿色通道）</source>
        <translation>Priority ticket (green channel)</translation>
    </message>
    <message>
        <source>老年人 · 残疾人</source>
        <translation>Elderly · Disabled</translation>
    </message>
    <message>
        <source>优先号 · 绿色通道</source>
        <translation>Priority ticket · green channel</translation>
    </message>
</context>
<context>
    <name>Kiosk</name>
    <message>
        <source>该类别已不存在</source>
        <translation>This category no longer exists</translation>
    </message>
    <message numerus="yes">
        <source>%n 项办事指南</source>
        <translation>
            <numerusform>%n guide</numerusform>
            <numerusform>%n guides</numerusform>
        </translation>
    </message>
    <message>
        <source>这个类别暂时没有办事指南，请到服务窗口咨询。</source>
        <translation>No guides in this category yet. Please ask at a service window.</translation>
    </message>
    <message>
        <source>可取号</source>
        <translation>Ticket available</translation>
    </message>
    <message>
        <source>暂无</source>
        <translation>Not given</translation>
    </message>
    <message>
        <source>原件</source>
        <translation>Original</translation>
    </message>
    <message>
        <source>复印件</source>
        <translation>Copy</translation>
    </message>
    <message>
        <source>原件和复印件</source>
        <translation>Original and copy</translation>
    </message>
    <message>
        <source>这份办事指南已更新或下线，请返回重新查找。</source>
        <translation>This guide was updated or withdrawn. Please go back and search again.</translation>
    </message>
    <message>
        <source>事项编码 %1</source>
        <translation>Code %1</translation>
    </message>
    <message>
        <source>手机扫码，带走材料清单</source>
        <translation>Scan with your phone to take the materials list with you</translation>
    </message>
    <message>
        <source>为此事项取号</source>
        <translation>Take a ticket for this</translation>
    </message>
    <message>
        <source>此事项无需取号，请直接到服务窗口咨询。</source>
        <translation>No ticket needed for this. Please go straight to a service window.</translation>
    </message>
    <message numerus="yes">
        <source>%n 次</source>
        <translation>
            <numerusform>%n visit</numerusform>
            <numerusform>%n visits</numerusform>
        </translation>
    </message>
    <message>
        <source>办理须知</source>
        <translation>Key facts</translation>
    </message>
    <message>
        <source>承诺时限</source>
        <translation>Promised time</translation>
    </message>
    <message>
        <source>法定时限</source>
        <translation>Legal time limit</translation>
    </message>
    <message>
        <source>到现场次数</source>
        <translation>Visits in person</translation>
    </message>
    <message>
        <source>收费标准</source>
        <translation>Fees</translation>
    </message>
    <message>
        <source>不收费</source>
        <translation>Free of charge</translation>
    </message>
    <message>
        <source>办理地点</source>
        <translation>Where</translation>
    </message>
    <message>
        <source>办理时间</source>
        <translation>Opening hours</translation>
    </message>
    <message>
        <source>咨询电话</source>
        <translation>Enquiries</translation>
    </message>
    <message>
        <source>监督投诉电话</source>
        <translation>Complaints</translation>
    </message>
    <message>
        <source>受理条件</source>
        <translation>Who can apply</translation>
    </message>
    <message>
        <source>申请材料</source>
        <translation>Documents to bring</translation>
    </message>
    <message>
        <source>请逐项准备，带齐后再来办理：</source>
        <translation>Tick off each item and bring them all:</translation>
    </message>
    <message numerus="yes">
        <source>%n 份</source>
        <translation>
            <numerusform>%n copy</numerusform>
            <numerusform>%n copies</numerusform>
        </translation>
    </message>
    <message>
        <source>办理流程</source>
        <translation>Steps</translation>
    </message>
    <message>
        <source>特殊环节</source>
        <translation>Special steps</translation>
    </message>
    <message>
        <source>实施主体与设定依据</source>
        <translation>Authority and legal basis</translation>
    </message>
    <message>
        <source>实施主体</source>
        <translation>Authority</translation>
    </message>
    <message>
        <source>设定依据</source>
        <translation>Legal basis</translation>
    </message>
    <message>
        <source>常见问题</source>
        <translation>Questions and answers</translation>
    </message>
    <message>
        <source>问：</source>
        <translation>Q: </translation>
    </message>
    <message>
        <source>答：</source>
        <translation>A: </translation>
    </message>
    <message>
        <source>搜索办事指南：输入拼音或首字母，如 db（低保）</source>
        <translation>Search the guides: type pinyin or initials, e.g. db (低保)</translation>
    </message>
    <message>
        <source>取号</source>
        <translation>Take a ticket</translation>
    </message>
    <message>
        <source>排队叫号，请先取号</source>
        <translation>Get your queue number here</translation>
    </message>
    <message>
        <source>公示公告</source>
        <translation>Public notices</translation>
    </message>
    <message>
        <source>目前没有公示</source>
        <translation>No notices at the moment</translation>
    </message>
    <message>
        <source>本月服务满意率 %1%（%2 人评价）</source>
        <translation>Satisfaction this month: %1% (%2 ratings)</translation>
    </message>
    <message numerus="yes">
        <source>另有 %n 条公示</source>
        <translation>
            <numerusform>%n more notice</numerusform>
            <numerusform>%n more notices</numerusform>
        </translation>
    </message>
    <message>
        <source>全部公示 · 政务公开 · 财务公开</source>
        <translation>All notices · Government and finance disclosures</translation>
    </message>
    <message>
        <source>公示期间：%1&#x3000;责任人：%2&#x3000;公布日期：%3</source>
        <translation>Period: %1   Responsible: %2   Published: %3</translation>
    </message>
    <message>
        <source>公示栏</source>
        <translation>Notice board</translation>
    </message>
    <message>
        <source>政务公开</source>
        <translation>Government affairs disclosure</translation>
    </message>
    <message>
        <source>财务公开</source>
        <translation>Financial disclosure</translation>
    </message>
    <message>
        <source>目前没有政务公开、财务公开表格</source>
        <translation>No disclosure tables at the moment</translation>
    </message>
    <message>
        <source>这条公示已结束或撤下。</source>
        <translation>This notice has ended or was withdrawn.</translation>
    </message>
    <message>
        <source>公示期 %1 至 %2</source>
        <translation>Public from %1 to %2</translation>
    </message>
    <message>
        <source>输入拼音、首字母或编码</source>
        <translation>Type pinyin, initials or a code</translation>
    </message>
    <message>
        <source>清除</source>
        <translation>Clear</translation>
    </message>
    <message>
        <source>常用办事指南</source>
        <translation>Popular guides</translation>
    </message>
    <message>
        <source>没有找到“%1”相关的办事指南。可换个说法，或到服务窗口咨询工作人员。</source>
        <translation>Nothing found for “%1”. Try other words, or ask the staff at a service window.</translation>
    </message>
    <message>
        <source>大家常办的事：</source>
        <translation>What people often come for:</translation>
    </message>
    <message numerus="yes">
        <source>相关度最高的 %n 项（输入更多字母可缩小范围）</source>
        <translation>
            <numerusform>The best match (type more to narrow down)</numerusform>
            <numerusform>The %n best matches (type more to narrow down)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>找到 %n 项</source>
        <translation>
            <numerusform>%n guide found</numerusform>
            <numerusform>%n guides found</numerusform>
        </translation>
    </message>
    <message>
        <source>关键词：</source>
        <translation>Keyword: </translation>
    </message>
    <message>
        <source>所需材料：</source>
        <translation>Document: </translation>
    </message>
    <message>
        <source>编码：</source>
        <translation>Code: </translation>
    </message>
    <message>
        <source>相近：</source>
        <translation>Close match: </translation>
    </message>
    <message>
        <source>工作人员验证</source>
        <translation>Staff sign-in</translation>
    </message>
    <message>
        <source>请输入 PIN</source>
        <translation>Enter your PIN</translation>
    </message>
    <message>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>确认</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>已验证：%1</source>
        <translation>Signed in: %1</translation>
    </message>
    <message>
        <source>退出自助模式（窗口显示）</source>
        <translation>Leave kiosk mode (show as a window)</translation>
    </message>
    <message>
        <source>内容编辑（办事指南、公示）</source>
        <translation>Edit content (guides, notices)</translation>
    </message>
    <message>
        <source>关闭程序</source>
        <translation>Close the program</translation>
    </message>
    <message>
        <source>返回自助服务</source>
        <translation>Back to the kiosk</translation>
    </message>
    <message>
        <source>验证服务不可用</source>
        <translation>Sign-in is not available</translation>
    </message>
    <message>
        <source>取号服务暂时不可用，请到服务窗口咨询。</source>
        <translation>Tickets are not available right now. Please ask at a service window.</translation>
    </message>
    <message>
        <source>取号失败，请稍后再试或到服务窗口咨询。</source>
        <translation>Could not take a ticket. Please try again or ask at a service window.</translation>
    </message>
    <message>
        <source>今日%1的号已取完，请明天再来或咨询工作人员</source>
        <translation>All of today's tickets for %1 have been taken. Please come back tomorrow or ask a member of staff.</translation>
    </message>
    <message>
        <source>%1暂停取号，请咨询工作人员</source>
        <translation>%1: no tickets are being issued now. Please ask a member of staff.</translation>
    </message>
    <message>
        <source>没有这项业务，请返回重新选择</source>
        <translation>This service is not available. Please go back and choose again.</translation>
    </message>
    <message>
        <source>正在打印号票……</source>
        <translation>Printing your ticket…</translation>
    </message>
    <message>
        <source>号票未能打印，请记下您的号码</source>
        <translation>The ticket could not be printed; please note your number</translation>
    </message>
    <message>
        <source>没有取到号码。工作人员会在服务窗口帮您办理。</source>
        <translation>No ticket was taken. The staff at the service windows will help you.</translation>
    </message>
    <message>
        <source>请选择要办理的业务</source>
        <translation>Choose what you came for</translation>
    </message>
    <message>
        <source>不清楚选哪一项？可先查看办事指南，指南页面可直接取号。</source>
        <translation>Not sure? Read the guides first; each guide has its own ticket button.</translation>
    </message>
    <message numerus="yes">
        <source>现在等候 %n 人</source>
        <translation>
            <numerusform>%n person waiting</numerusform>
            <numerusform>%n people waiting</numerusform>
        </translation>
    </message>
    <message>
        <source>窗口暂停，号码保留</source>
        <translation>window paused, your number is kept</translation>
    </message>
    <message>
        <source>您的号码</source>
        <translation>Your number</translation>
    </message>
    <message numerus="yes">
        <source>前面还有 %n 人</source>
        <translation>
            <numerusform>%n person ahead of you</numerusform>
            <numerusform>%n people ahead of you</numerusform>
        </translation>
    </message>
    <message>
        <source>您是下一位，请留意叫号</source>
        <translation>You are next, please watch for your number</translation>
    </message>
    <message>
        <source>等候时间暂时无法估计</source>
        <translation>The waiting time cannot be estimated yet</translation>
    </message>
    <message numerus="yes">
        <source>预计等候约 %n 分钟</source>
        <translation>
            <numerusform>About %n minute to wait</numerusform>
            <numerusform>About %n minutes to wait</numerusform>
        </translation>
    </message>
    <message>
        <source>取号时间 %1</source>
        <translation>Taken at %1</translation>
    </message>
    <message>
        <source>请留意叫号屏和语音广播，过号请到窗口说明。</source>
        <translation>Watch the board and listen for your number. If you miss it, tell a window.</translation>
    </message>
    <message>
        <source>手机扫码，随时查看叫号进度</source>
        <translation>Scan to follow your place in the queue</translation>
    </message>
    <message>
        <source>完成，返回首页</source>
        <translation>Done, back to the start</translation>
    </message>
    <message>
        <source>返回</source>
        <translation>Back</translation>
    </message>
    <message>
        <source>首页</source>
        <translation>Home</translation>
    </message>
    <message>
        <source>搜索</source>
        <translation>Search</translation>
    </message>
    <message>
        <source>标准字体</source>
        <translation>Normal text</translation>
    </message>
    <message>
        <source>大字模式</source>
        <translation>Large text</translation>
    </message>
    <message>
        <source>本机运行</source>
        <translation>Standalone</translation>
    </message>
    <message>
        <source>已联网</source>
        <translation>Online</translation>
    </message>
    <message>
        <source>离线运行</source>
        <translation>Offline</translation>
    </message>
    <message numerus="yes">
        <source>无人操作，%n 秒后返回首页 · 点击屏幕继续使用</source>
        <translation>
            <numerusform>Back to the start in %n second · touch to stay</numerusform>
            <numerusform>Back to the start in %n seconds · touch to stay</numerusform>
        </translation>
    </message>
    <message>
        <source>⌫ 删除</source>
        <translation>⌫ Delete</translation>
    </message>
    <message>
        <source>清空</source>
        <translation>Clear all</translation>
    </message>
    <message>
        <source>仅供演示：手机打不开</source>
        <translation>Demo only: phones cannot open it</translation>
    </message>
    <message>
        <source>工号或 PIN 不正确</source>
        <translation>Wrong staff number or PIN</translation>
    </message>
    <message>
        <source>请输入您的工号和 PIN（工号见 yizhan staff list）</source>
        <translation>Enter your staff number and PIN (staff numbers: yizhan staff list)</translation>
    </message>
    <message>
        <source>工号：%1</source>
        <translation>Staff number: %1</translation>
    </message>
    <message>
        <source>PIN：%1</source>
        <translation>PIN: %1</translation>
    </message>
    <message>
        <source>自助机已退出自助模式</source>
        <translation>The kiosk is out of kiosk mode</translation>
    </message>
    <message>
        <source>返回自助模式</source>
        <translation>Back to kiosk mode</translation>
    </message>
    <message>
        <source>请先输入工号</source>
        <translation>Enter your staff number first</translation>
    </message>
    <message numerus="yes">
        <source>尝试次数过多，请 %n 秒后再试</source>
        <translation>
            <numerusform>Too many tries: try again in %n second</numerusform>
            <numerusform>Too many tries: try again in %n seconds</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>账户已锁定，请在 %n 分钟后再试，或请站长重置 PIN</source>
        <translation>
            <numerusform>Account locked: try again in %n minute, or ask the station head to reset the PIN</numerusform>
            <numerusform>Account locked: try again in %n minutes, or ask the station head to reset the PIN</numerusform>
        </translation>
    </message>
    <message>
        <source>正在取号……</source>
        <translation>Getting your ticket…</translation>
    </message>
</context>
</TS>
